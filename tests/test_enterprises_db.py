"""The enterprises table (migration 0003), its repository and the CLI functions, on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.engine import create_engine
from callcenter.db.migrate import upgrade
from callcenter.enterprises import EnterpriseRepository, directory_from_db, load_enterprises
from callcenter.enterprises.cli import (
    add_draft_arguments,
    add_enterprises_arguments,
    draft_command,
    enterprises_load_command,
)
from callcenter.enterprises.service import DEMO_DIRECTORY
from callcenter.enterprises.table import enterprises
from worksheet.extract import DirectoryEntry

HEADER = "name,unified_social_credit_code,contact_person,mobile,address,district\n"



def _schema(sync_conn: Any) -> dict[str, Any]:
    insp = inspect(sync_conn)
    return {
        "columns": {c["name"]: (str(c["type"].compile(sync_conn.dialect)), c["nullable"])
                    for c in insp.get_columns("enterprises")},
        "pk": insp.get_pk_constraint("enterprises")["constrained_columns"],
        "indexes": sorted(i["name"] for i in insp.get_indexes("enterprises") if "duplicates_constraint" not in i),
        "unique": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints("enterprises")),
    }


async def test_migration_0003_creates_the_table_as_declared(db_url: str) -> None:
    await upgrade(db_url, "0003")  # later revisions belong to others
    eng = create_engine(db_url)
    try:
        async with eng.connect() as conn:
            got = await conn.run_sync(_schema)
            assert (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one() == "0003"
            dialect = conn.dialect
    finally:
        await eng.dispose()
    assert got == {
        "columns": {c.name: (c.type.compile(dialect), c.nullable) for c in enterprises.columns},
        "pk": ["id"],
        "indexes": sorted(i.name for i in enterprises.indexes),
        "unique": sorted((c.name,) for c in enterprises.columns if c.unique),
    }


async def test_load_demo_then_reload_updates(engine: AsyncEngine) -> None:
    first = await load_enterprises(engine, DEMO_DIRECTORY)
    assert first["inserted"] == first["rows_ok"] >= 40 and first["updated"] == 0 and first["errors"] == []
    again = await load_enterprises(engine, DEMO_DIRECTORY)
    assert again["inserted"] == 0 and again["updated"] == first["inserted"]
    repo = EnterpriseRepository(engine)
    assert await repo.count() == first["inserted"]
    got = await repo.get("绵阳华翔物流有限公司")
    assert got is not None and got.credit_code == "915107039755TH2H1D" and got.district == "涪城区"


async def test_upsert_by_credit_code_then_by_name(engine: AsyncEngine) -> None:
    repo = EnterpriseRepository(engine)
    code = "915107039755TH2H1D"
    assert (await repo.upsert_many([DirectoryEntry("绵阳华翔物流有限公司", code, "吴杰", "19620116410")])).inserted == 1
    renamed = await repo.upsert_many([DirectoryEntry("绵阳华翔供应链有限公司", code, "吴杰", "13800138000")])
    assert (renamed.inserted, renamed.updated) == (0, 1)
    assert [e.name for e in await repo.all()] == ["绵阳华翔供应链有限公司"]
    # No code on the row: found by name, and the code on file is kept.
    by_name = await repo.upsert_many([DirectoryEntry("绵阳华翔供应链有限公司", None, "李四", None)])
    assert by_name.updated == 1
    (row,) = await repo.all()
    assert (row.credit_code, row.contact_person, row.mobile) == (code, "李四", None)
    # A new code under a name used by another code's row is a conflict, not an error for the whole load.
    await repo.upsert_many([DirectoryEntry("绵阳别家有限公司", "9151070300Q81FTU1Q")])
    clash = await repo.upsert_many([DirectoryEntry("绵阳华翔供应链有限公司", "9151070300Q81FTU1Q")])
    assert clash.updated == 0 and clash.conflicts and await repo.count() == 2


async def test_load_reports_bad_rows(engine: AsyncEngine, tmp_path: Path) -> None:
    path = tmp_path / "dir.csv"
    path.write_text(HEADER + "绵阳华翔物流有限公司,915107039755TH2H1D,吴杰,19620116410,,涪城区\n"
                    "绵阳错码有限公司,915107039755TH2H1E,,,,\n", encoding="utf-8-sig")
    report = await load_enterprises(engine, path)
    assert (report["inserted"], report["skipped"]) == (1, 1)
    assert report["errors"][0]["line"] == 3 and "credit code" in report["errors"][0]["reason"]


async def test_directory_from_db_matches_homophones(engine: AsyncEngine) -> None:
    await load_enterprises(engine, DEMO_DIRECTORY)
    directory = await directory_from_db(engine)
    match = directory.find_in("我是花香物流的")
    assert match is not None and match.entry.name == "绵阳华翔物流有限公司"


def _parse(add: Any, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add(parser)
    return parser.parse_args(argv)


async def test_enterprises_load_command(engine: AsyncEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert await enterprises_load_command(_parse(add_enterprises_arguments, ["load", "demo"]), engine) == 0
    assert json.loads(capsys.readouterr().out)["inserted"] >= 40
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + ",,张三,,,\n" + "绵阳某某有限公司,,,,,\n", encoding="utf-8")
    assert await enterprises_load_command(_parse(add_enterprises_arguments, ["load", str(bad)]), engine) == 1
    assert json.loads(capsys.readouterr().out)["errors"] == [{"line": 2, "reason": "missing name"}]
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n", encoding="utf-8")
    assert await enterprises_load_command(_parse(add_enterprises_arguments, ["load", str(wrong)]), engine) == 2


async def test_draft_command_uses_the_database_directory(engine: AsyncEngine, capsys: pytest.CaptureFixture[str]) -> None:
    await load_enterprises(engine, DEMO_DIRECTORY)
    args = _parse(add_draft_arguments, ["--json", "--caller-id", "13912345678", "我是花香物流的 想 咨询 一下 发票"])
    assert await draft_command(args, engine) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["enterprise_name"]["value"] == "绵阳华翔物流有限公司"
    assert out["contact_phone"]["value"] == "13912345678" and out["suggested_unit"]["value"] == "shuiwj"


async def test_draft_command_file_gives_one_json_line_per_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZHITONG_ENTERPRISES", raising=False)
    transcripts = tmp_path / "calls.txt"
    transcripts.write_text("我是花香物流的 要 投诉\n\n我 电话 幺三八 零零幺三 八零零零\n", encoding="utf-8")
    args = _parse(add_draft_arguments, ["--directory", str(DEMO_DIRECTORY), str(transcripts)])
    assert await draft_command(args, None) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["empty"] for line in lines] == [False, True, False]
    assert lines[0]["enterprise_name"]["value"] == "绵阳华翔物流有限公司" and lines[0]["category"]["value"] == "complaint"
    assert lines[2]["contact_phone"]["value"] == "13800138000"


async def test_draft_command_env_directory_and_plain_output(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZHITONG_ENTERPRISES", str(DEMO_DIRECTORY))
    assert await draft_command(_parse(add_draft_arguments, ["我是花香物流的"]), None) == 0
    out = capsys.readouterr().out
    assert "enterprise_name  绵阳华翔物流有限公司" in out
    monkeypatch.delenv("ZHITONG_ENTERPRISES")
    assert await draft_command(_parse(add_draft_arguments, ["--json", "我是花香物流的" * 40]), None) == 0
    assert json.loads(capsys.readouterr().out)["enterprise_name"]["value"] is None  # no directory: no match


async def test_draft_command_without_migrated_database_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZHITONG_ENTERPRISES", raising=False)
    eng = create_engine(f"sqlite+aiosqlite:///{tmp_path}/empty.sqlite3")
    try:
        assert await draft_command(_parse(add_draft_arguments, ["--json", "咨询一下"]), eng) == 0
    finally:
        await eng.dispose()
    captured = capsys.readouterr()
    assert "warning" in captured.err and json.loads(captured.out)["category"]["value"] == "consultation"
