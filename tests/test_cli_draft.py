"""`zhitong draft` is a text command: it reads the enterprise directory where there is one, and never
creates or migrates a database, nor loads the service (web app, PBX adapters, migrations) to extract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import inspect

from callcenter.db.engine import create_engine
from callcenter.db.migrate import upgrade
from callcenter.enterprises.service import DEMO_DIRECTORY, load_enterprises

REPO = Path(__file__).resolve().parent.parent
CALL = "我 是 花 香 物流 的 电话 幺三八 零零幺三 八零零零 想 咨询 一下 发票"
SERVICE_MODULES = ("callcenter.app", "callcenter.admin", "aiohttp", "alembic", "vosk", "openpyxl", "sqlalchemy")


def zhitong(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ZHITONG_DATABASE_URL", "ZHITONG_ENTERPRISES")}
    return subprocess.run([sys.executable, "-m", "callcenter.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(REPO)}, timeout=120)


async def tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()


def test_without_a_database_nothing_is_created(tmp_path: Path) -> None:
    done = zhitong(tmp_path, "draft", "--json", CALL)  # the default SQLite URL, relative to the folder
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["contact_phone"]["value"] == "13800138000" and out["category"]["value"] == "consultation"
    assert out["enterprise_name"]["value"] is None and "warning" in done.stderr
    assert list(tmp_path.iterdir()) == []  # no var/, no database file, no lock file
    other = tmp_path / "elsewhere.sqlite3"
    assert zhitong(tmp_path, "--database-url", f"sqlite+aiosqlite:///{other}", "draft", CALL).returncode == 0
    assert not other.exists()


async def test_an_unmigrated_database_is_not_migrated(db_url: str, tmp_path: Path) -> None:
    if db_url.startswith("sqlite"):
        Path(db_url.partition(":///")[2]).write_bytes(b"")  # an empty SQLite file: a database with no tables
    done = zhitong(tmp_path, "--database-url", db_url, "draft", "--json", CALL)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["contact_phone"]["value"] == "13800138000"
    assert "warning" in done.stderr
    assert await tables(db_url) == []


async def test_a_loaded_directory_is_read_and_the_schema_left_as_it_is(db_url: str, tmp_path: Path) -> None:
    await upgrade(db_url)
    engine = create_engine(db_url)
    try:
        await load_enterprises(engine, DEMO_DIRECTORY)
    finally:
        await engine.dispose()
    before = sorted(await tables(db_url))
    done = zhitong(tmp_path, "--database-url", db_url, "draft", "--json", CALL)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["enterprise_name"]["value"] == "绵阳华翔物流有限公司"
    assert sorted(await tables(db_url)) == before


def test_drafting_loads_none_of_the_service(tmp_path: Path) -> None:
    script = ("import sys\nfrom callcenter.cli import main\n"
              f"code = main(['draft', '--directory', {str(DEMO_DIRECTORY)!r}, '--json', {CALL!r}])\n"
              f"print(code, [m for m in {SERVICE_MODULES!r} if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert json.loads(lines[0])["enterprise_name"]["value"] == "绵阳华翔物流有限公司"
    assert lines[1] == "0 []"


def test_the_draft_options_still_parse_and_fail_cleanly(tmp_path: Path) -> None:
    assert "--caller-id" in zhitong(tmp_path, "draft", "--help").stdout
    bad = zhitong(tmp_path, "draft", "--directory", str(tmp_path / "missing.csv"), CALL)
    assert bad.returncode == 2 and "error" in bad.stderr and "Traceback" not in bad.stderr
