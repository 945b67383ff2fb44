"""The knowledge-base routes on a real server (tests.api_helpers.start_api): roles, validation,
conflicts, verbatim content."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.api_helpers import Api, start_api

ARTICLE = {"title": "高新技术企业认定需要准备哪些材料", "body": "通过认定管理工作网在线提交申请材料。",
           "category": "惠企政策", "keywords": ["高企"], "unit": "kjj"}


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[Api]:
    async for api in start_api(db_url):
        yield api


async def _create(api: Api, who: str = "boss", **extra: Any) -> dict[str, Any]:
    status, data = await api.call(who, "POST", "/api/v1/kb", ARTICLE | extra)
    assert status == 201, data
    return data  # type: ignore[no-any-return]


async def test_editors_write_agents_read_unit_handlers_are_refused(api: Api) -> None:
    a = await _create(api)
    assert (a["version"], a["status"], a["updated_by"], a["keywords"]) == (1, "published", "boss", ["高企"])
    status, found = await api.call("agent", "GET", "/api/v1/kb?q=我们想申请高企要准备什么&limit=5")
    assert status == 200 and [i["id"] for i in found["items"]] == [a["id"]]
    assert found["items"][0]["terms"] == ["申请", "高企"]  # 我们, 想, 要, 准备, 什么 are stop words
    assert found["items"][0]["score"] > 0
    status, listed = await api.call("agent", "GET", "/api/v1/kb")
    assert status == 200 and listed["total"] == 1 and listed["items"][0]["title"] == ARTICLE["title"]
    assert (await api.call("agent", "GET", f"/api/v1/kb/{a['id']}"))[0] == 200
    for method, path, body in (("POST", "/api/v1/kb", ARTICLE), ("PUT", f"/api/v1/kb/{a['id']}", {"version": 1}),
                               ("DELETE", f"/api/v1/kb/{a['id']}", None)):
        assert (await api.call("agent", method, path, body))[0] == 403
        status, problem = await api.call("zjj", method, path, body)
        assert status == 403 and problem["error_id"] == "forbidden"
    assert (await api.call("zjj", "GET", "/api/v1/kb?q=高企"))[0] == 403
    assert (await api.call("agent", "GET", "/api/v1/kb?status=draft"))[0] == 403
    assert (await api.call("admin", "GET", "/api/v1/kb?status=all"))[0] == 200


async def test_update_archive_and_stale_versions(api: Api) -> None:
    a = await _create(api)
    path = f"/api/v1/kb/{a['id']}"
    status, b = await api.call("admin", "PUT", path, {"version": 1, "body": "新的答复口径。"})
    assert status == 200 and (b["version"], b["body"], b["title"], b["updated_by"]) == (2, "新的答复口径。",
                                                                                       ARTICLE["title"], "admin")
    status, problem = await api.call("boss", "PUT", path, {"version": 1, "title": "旧版本上的修改"})
    assert status == 409 and problem["error_id"] == "version-conflict"
    assert (await api.call("boss", "PUT", path, {"title": "没有版本号"}))[0] == 422
    assert (await api.call("boss", "DELETE", f"{path}?version=1"))[0] == 409
    status, archived = await api.call("boss", "DELETE", f"{path}?version=2")
    assert status == 200 and (archived["status"], archived["version"]) == ("archived", 3)
    assert (await api.call("agent", "GET", "/api/v1/kb?q=高企"))[1]["items"] == []
    assert (await api.call("agent", "GET", path))[0] == 404  # agents see published articles only
    assert (await api.call("boss", "GET", path))[1]["status"] == "archived"
    for missing in ("/api/v1/kb/999", "/api/v1/kb/abc"):
        status, problem = await api.call("boss", "GET", missing)
        assert status == 404 and problem["error_id"] == "kb-article-not-found"
    assert (await api.call("boss", "PUT", "/api/v1/kb/999", {"version": 1}))[0] == 404


@pytest.mark.parametrize("bad", [{"title": ""}, {"body": "  "}, {"status": "deleted"}, {"keywords": "高企"}])
async def test_invalid_articles_are_422(api: Api, bad: dict[str, Any]) -> None:
    status, problem = await api.call("boss", "POST", "/api/v1/kb", ARTICLE | bad)
    assert status == 422 and problem["error_id"] == "validation-failed", problem
    assert (await api.call("agent", "GET", "/api/v1/kb?q=高企&limit=0"))[0] == 422


async def test_markup_is_stored_and_returned_verbatim(api: Api) -> None:
    title = "<script>alert('x')</script> & “引号” 社保"
    a = await _create(api, title=title, body="<b>加粗</b>\n第二行")
    assert (a["title"], a["body"]) == (title, "<b>加粗</b>\n第二行")
    status, got = await api.call("agent", "GET", f"/api/v1/kb/{a['id']}")
    assert status == 200 and got["title"] == title
    status, found = await api.call("agent", "GET", "/api/v1/kb", params={"q": "社保"})
    assert [i["title"] for i in found["items"]] == [title]
