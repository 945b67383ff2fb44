"""One test per class of bad input: each is a clear 4xx problem+json, never a 5xx."""

from __future__ import annotations

import pytest

from tests.api_helpers import ORDER, Api, start_api


@pytest.fixture
async def api(db_url: str):  # type: ignore[no-untyped-def]
    async for value in start_api(db_url):
        yield value


async def _problem(api: Api, who: str | None, method: str, path: str, *, data: bytes | None = None,
                   json: object = None, headers: dict[str, str] | None = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    h = {**(api.auth(who) if who else {}), **(headers or {})}
    resp = await api.client.request(method, path, data=data, json=json, headers=h)
    assert resp.content_type == "application/problem+json", await resp.text()
    body = await resp.json(content_type=None)
    assert body["status"] == resp.status and body["detail"] and body["title"]
    return resp.status, body


async def _order(api: Api) -> str:
    status, body = await api.call("agent", "POST", "/api/v1/orders", ORDER)
    assert status == 201
    return str(body["number"])


async def test_malformed_json(api: Api) -> None:
    status, body = await _problem(api, "agent", "POST", "/api/v1/orders", data=b'{"channel": "phone",',
                                  headers={"Content-Type": "application/json"})
    assert (status, body["error_id"]) == (400, "malformed-json")


async def test_body_that_is_not_an_object(api: Api) -> None:
    status, body = await _problem(api, "agent", "POST", "/api/v1/orders", json=["phone"])
    assert (status, body["error_id"]) == (422, "validation-failed")


@pytest.mark.parametrize(
    ("change", "field"),
    [({"channel": 7}, "channel"), ({"channel": "pigeon"}, "channel"), ({"category": None}, "category"),
     ({"subject": ["x"]}, "subject"), ({"received_at": "yesterday"}, "received_at"),
     ({"received_at": "2026-11-20T09:00:00"}, "received_at"), ({"enterprise": "某公司"}, "enterprise"),
     ({"attachments": [1, 2]}, "attachments"), ({"content": "   "}, "content")],
)
async def test_wrong_types_and_values(api: Api, change: dict, field: str) -> None:  # type: ignore[type-arg]
    status, body = await _problem(api, "agent", "POST", "/api/v1/orders", json={**ORDER, **change})
    assert status == 422 and field in body["detail"]


async def test_invalid_credit_code(api: Api) -> None:
    bad = {**ORDER, "enterprise": {**ORDER["enterprise"], "credit_code": "91350100M000100Y44"}}  # type: ignore[dict-item]
    status, body = await _problem(api, "agent", "POST", "/api/v1/orders", json=bad)
    assert (status, body["error_id"]) == (422, "invalid-credit-code")


async def test_received_in_the_future(api: Api) -> None:
    status, body = await _problem(api, "agent", "POST", "/api/v1/orders",
                                  json={**ORDER, "received_at": "2027-01-01T09:00:00+08:00"})
    assert status == 422 and "future" in body["detail"]


async def test_unknown_unit(api: Api) -> None:
    n = await _order(api)
    status, body = await _problem(api, "agent", "POST", f"/api/v1/orders/{n}/dispatch", json={"lead_unit": "nope"})
    assert status == 422 and "nope" in body["detail"]


async def test_unknown_order_and_unknown_route(api: Api) -> None:
    status, body = await _problem(api, "agent", "GET", "/api/v1/orders/20200101-0001")
    assert (status, body["error_id"]) == (404, "order-not-found")
    status, body = await _problem(api, "agent", "GET", "/api/v1/nothing-here")
    assert status == 404


async def test_unknown_action(api: Api) -> None:
    n = await _order(api)
    status, body = await _problem(api, "agent", "POST", f"/api/v1/orders/{n}/teleport", json={})
    assert status == 422 and "teleport" in body["detail"]


async def test_invalid_transition_names_state_and_command(api: Api) -> None:
    n = await _order(api)
    status, body = await _problem(api, "boss", "POST", f"/api/v1/orders/{n}/check", json={"passed": True})
    assert (status, body["error_id"]) == (409, "invalid-transition")
    assert "check" in body["detail"] and "registered" in body["detail"]


async def test_acting_for_a_unit_without_being_its_handler(api: Api) -> None:
    n = await _order(api)
    await api.act("agent", n, "dispatch", {"lead_unit": api.units["区住建局"], "co_units": [api.units["区交通运输局"]]})
    status, body = await _problem(api, "agent", "POST", f"/api/v1/orders/{n}/accept", json={})
    assert (status, body["error_id"]) == (403, "not-permitted")
    status, body = await _problem(api, "jtj", "POST", f"/api/v1/orders/{n}/accept", json={})  # a co-unit
    assert (status, body["error_id"]) == (403, "not-permitted")


async def test_return_after_window_is_refused(api: Api) -> None:
    n = await _order(api)
    await api.act("agent", n, "dispatch", {"lead_unit": api.units["区住建局"]})
    api.clock.set("2026-11-25T09:00:00")
    status, body = await _problem(api, "zjj", "POST", f"/api/v1/orders/{n}/return", json={"reason": "x", "basis": "y"})
    assert (status, body["error_id"]) == (409, "window-closed")


async def test_stale_version_in_body(api: Api) -> None:
    n = await _order(api)
    status, body = await _problem(api, "agent", "POST", f"/api/v1/orders/{n}/dispatch",
                                  json={"lead_unit": api.units["区住建局"], "version": 0})
    assert (status, body["error_id"]) == (409, "version-conflict")


async def test_missing_and_bad_tokens(api: Api) -> None:
    status, body = await _problem(api, None, "GET", "/api/v1/orders")
    assert (status, body["error_id"]) == (401, "unauthenticated")
    status, body = await _problem(api, None, "GET", "/api/v1/orders", headers={"Authorization": "Bearer forged"})
    assert status == 401
    status, body = await _problem(api, None, "POST", "/api/v1/auth/token", json={"username": "agent", "password": "wrong-password"})
    assert status == 401


async def test_role_forbidden(api: Api) -> None:
    status, body = await _problem(api, "zjj", "POST", "/api/v1/orders", json=ORDER)
    assert (status, body["error_id"]) == (403, "forbidden")
    status, body = await _problem(api, "agent", "POST", "/api/v1/users",
                                  json={"username": "x", "password": "long-enough-pass", "role": "agent"})
    assert status == 403


async def test_bad_query_parameters(api: Api) -> None:
    for query in ("status=flying", "limit=0", "limit=abc", "overdue=maybe", "from=notadate"):
        status, body = await _problem(api, "boss", "GET", f"/api/v1/orders?{query}")
        assert status == 422, query
    status, body = await _problem(api, "boss", "GET", "/api/v1/supervision?month=2026-13")
    assert status == 422
