"""The API's list endpoints page with limit/offset, refuse hostile values with a 422, and say
which page they answered."""

from __future__ import annotations

import pytest

from tests.api_helpers import Api, start_api


@pytest.fixture
async def api(db_url: str):  # type: ignore[no-untyped-def]
    async for value in start_api(db_url):
        yield value


@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/calls", "/api/v1/kb", "/api/v1/faxes", "/api/v1/users",
                                  "/api/v1/sms/outbox", "/api/v1/sms/inbound"])
async def test_lists_take_limit_and_offset_and_refuse_hostile_ones(api: Api, path: str) -> None:
    status, page = await api.call("admin", "GET", f"{path}?limit=5&offset=0")
    assert status == 200 and isinstance(page["items"], list) and len(page["items"]) <= 5
    for bad in ("limit=abc", "limit=-1", "limit=100000", "offset=-1", "offset=²", "offset=" + "9" * 40):
        status, problem = await api.call("admin", "GET", f"{path}?{bad}")
        assert status == 422 and problem["error_id"] == "validation-failed", (path, bad, status)


async def test_faxes_say_which_page_they_answered(api: Api) -> None:
    status, page = await api.call("agent", "GET", "/api/v1/faxes?limit=3&offset=6")
    assert status == 200 and (page["limit"], page["offset"], page["items"]) == (3, 6, [])
