"""KnowledgeService and its repository on SQLite and, when configured, PostgreSQL (see conftest)."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.engine import create_engine
from callcenter.db.errors import VersionConflict
from callcenter.knowledge.cli import kb_command
from callcenter.knowledge.model import ArticleFields, ArticleNotFound
from callcenter.knowledge.service import KnowledgeService
from worksheet.errors import ValidationError

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
SOCIAL = {"title": "社保缴费基数怎么申报", "body": "每年按规定申报社保缴费基数。", "category": "社保",
          "keywords": ["社保", "缴费基数", "社保"], "unit": "rsj"}


class Ticks:
    """A monotonic clock the test moves by hand, for the index's re-check interval."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _service(engine: AsyncEngine, ticks: Ticks | None = None, recheck_s: float = 5.0) -> KnowledgeService:
    return KnowledgeService(engine, lambda: T0, recheck_s=recheck_s, monotonic=ticks or Ticks())


async def test_create_get_update_archive(engine: AsyncEngine) -> None:
    kb = _service(engine)
    a = await kb.create(SOCIAL, by="boss")
    assert (a.version, a.status, a.keywords, a.unit, a.updated_by) == (1, "published", ("社保", "缴费基数"), "rsj", "boss")
    assert a.created_at == a.updated_at == T0 and a.updated_at.tzinfo is not None
    assert await kb.get(a.id) == a
    b = await kb.update(a.id, {"body": "新的答复口径。"}, expected_version=1, by="admin")
    assert (b.version, b.body, b.title, b.updated_by) == (2, "新的答复口径。", a.title, "admin")
    with pytest.raises(VersionConflict) as info:
        await kb.update(a.id, {"title": "过时的编辑"}, expected_version=1, by="boss")
    assert info.value.error_id == "version-conflict" and info.value.expected == 1
    archived = await kb.archive(a.id, by="boss")
    assert (archived.status, archived.version) == ("archived", 3)
    with pytest.raises(VersionConflict):
        await kb.archive(a.id, by="boss", expected_version=2)
    with pytest.raises(ArticleNotFound):
        await kb.get(999)
    with pytest.raises(ArticleNotFound):
        await kb.update(999, {}, expected_version=1, by="boss")
    assert (await kb.list())[1] == 0 and (await kb.list(status=None))[1] == 1


async def test_repository_update_is_guarded_by_version(engine: AsyncEngine) -> None:
    kb = _service(engine)
    a = await kb.create(SOCIAL, by="boss")
    fields = await kb.get(a.id)
    same = ArticleFields(fields.title, fields.body, fields.category, fields.keywords, fields.unit, fields.status)
    await kb.repo.update(a.id, same, expected_version=1, at=T0, by="x")
    with pytest.raises(VersionConflict):  # the race the service's early check cannot see
        await kb.repo.update(a.id, same, expected_version=1, at=T0, by="y")


@pytest.mark.parametrize("bad", [
    {"title": ""}, {"title": "   "}, {"body": ""}, {"title": "长" * 201}, {"status": "deleted"},
    {"keywords": "社保"}, {"keywords": [1]}, {"unit": 5}, {"category": "x" * 33},
])
async def test_validation(engine: AsyncEngine, bad: dict[str, object]) -> None:
    kb = _service(engine)
    with pytest.raises(ValidationError):
        await kb.create(SOCIAL | bad, by="boss")
    a = await kb.create(SOCIAL, by="boss")
    with pytest.raises(ValidationError):
        await kb.update(a.id, bad, expected_version=1, by="boss")


async def test_search_sees_own_writes_at_once_and_only_published(engine: AsyncEngine) -> None:
    kb = _service(engine)
    assert await kb.search("社保") == []
    a = await kb.create(SOCIAL, by="boss")
    await kb.create(SOCIAL | {"title": "社保草稿", "status": "draft"}, by="boss")
    found = await kb.search("社保基数")
    assert [f.article.id for f in found] == [a.id] and found[0].to_json()["terms"] == ["社保", "基数"]
    await kb.archive(a.id, by="boss")
    assert await kb.search("社保") == []
    with pytest.raises(ValidationError):
        await kb.search("社保", limit=0)


async def test_an_edit_through_another_node_is_seen_after_the_recheck_interval(
        engine: AsyncEngine, db_url: str) -> None:
    ticks = Ticks()
    first = _service(engine, ticks, recheck_s=5.0)
    other_engine = create_engine(db_url)
    try:
        second = _service(other_engine)
        a = await second.create(SOCIAL, by="boss")
        assert [f.article.title for f in await first.search("社保")] == [SOCIAL["title"]]
        await second.update(a.id, {"title": "公积金缴存登记", "keywords": ["公积金"], "body": "公积金开户。"},
                            expected_version=1, by="boss")
        ticks.now = 4.9  # within the interval: the first node still answers from its index
        assert [f.article.title for f in await first.search("社保")] == [SOCIAL["title"]]
        ticks.now = 5.0
        assert await first.search("社保") == []
        assert [f.article.version for f in await first.search("公积金")] == [2]
    finally:
        await other_engine.dispose()


async def test_cli_load_demo_upserts_by_title_and_search_prints_json(
        engine: AsyncEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    load = argparse.Namespace(kb_command="load", file="demo")
    assert await kb_command(load, engine) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["inserted"] == 30 and first["updated"] == first["skipped"] == 0
    assert await kb_command(load, engine) == 0
    assert json.loads(capsys.readouterr().out) | {"file": ""} == {
        "file": "", "inserted": 0, "updated": 0, "unchanged": 30, "errors": [], "skipped": 0}
    mine = tmp_path / "kb.json"
    mine.write_text(json.dumps([{"title": "增值税留抵退税的条件和申请方式", "body": "新口径。"}, {"title": ""}]))
    assert await kb_command(argparse.Namespace(kb_command="load", file=str(mine)), engine) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["updated"], report["skipped"], report["errors"][0]["index"]) == (1, 1, 2)
    assert await kb_command(argparse.Namespace(kb_command="search", query="留抵退税怎么申请", limit=2), engine) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[0]["title"] == "增值税留抵退税的条件和申请方式" and "留抵退税" in lines[0]["terms"]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert await kb_command(argparse.Namespace(kb_command="load", file=str(bad)), engine) == 2
