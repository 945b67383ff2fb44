"""The order API end to end, through a real aiohttp server, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from tests.api_helpers import ORDER, Api, start_api


@pytest.fixture
async def api(db_url: str):  # type: ignore[no-untyped-def]
    async for value in start_api(db_url):
        yield value


async def _create(api: Api, **extra: object) -> dict:  # type: ignore[type-arg]
    status, data = await api.call("agent", "POST", "/api/v1/orders", {**ORDER, **extra})
    assert status == 201, data
    return data


async def test_full_seed_lifecycle_over_http(api: Api) -> None:
    zjj, jtj = api.units["区住建局"], api.units["区交通运输局"]
    order = await _create(api)
    n = order["number"]
    assert n.startswith("20261123-") and order["status"] == "registered"
    d = await api.act("agent", n, "dispatch", {"lead_unit": zjj})
    assert d["deadlines"]["handling"] == {"due": "2026-12-02T23:59:59+08:00", "provisional": False,
                                          "overdue": False, "kind": "resolve"}
    api.clock.set("2026-11-23T15:00:00")
    await api.act("zjj", n, "return", {"reason": "道路施工属交通部门职责", "basis": "《区交通运输局三定方案》"})
    await api.act("agent", n, "redispatch", {"lead_unit": jtj, "co_units": [zjj]})
    await api.act("jtj", n, "accept")
    api.clock.set("2026-11-26T10:00:00")
    await api.act("jtj", n, "request-extension", {"reason": "需协调多个部门"})
    d = await api.act("boss", n, "decide-extension", {"approve": True})
    assert d["deadlines"]["handling"]["due"] == "2026-12-11T23:59:59+08:00"
    api.clock.set("2026-12-01T10:00:00")
    await api.act("jtj", n, "reply", {"content": "已协调，限高杆已拆除"})
    await api.act("boss", n, "check", {"passed": True})
    d = await api.act("agent", n, "callback-result", {"rating": "unsatisfied"})
    assert d["status"] == "handling" and d["lead_unit"] == jtj
    assert d["deadlines"]["handling"]["due"] == "2026-12-08T23:59:59+08:00"
    await api.act("jtj", n, "reply", {"content": "再次办理"})
    await api.act("boss", n, "check", {"passed": True})
    d = await api.act("agent", n, "callback-result", {"rating": "unsatisfied"})
    assert d["status"] == "under_review"
    d = await api.act("boss", n, "review", {"decision": "close", "explanation": "办理符合规定，已向企业解释"})
    assert d["status"] == "closed" and d["closure"]["reason"] == "review"
    status, full = await api.call("admin", "GET", f"/api/v1/orders/{n}")
    assert status == 200 and len(full["history"]) == 14
    assert [h["to"] for h in full["history"]][-1] == "closed"
    assert {h["actor"] for h in full["history"]} == {"agent", "zjj", "jtj", "boss"}


async def test_unit_handler_sees_only_their_units_orders(api: Api) -> None:
    n = (await _create(api))["number"]
    await api.act("agent", n, "dispatch", {"lead_unit": api.units["区住建局"]})
    assert (await api.call("zjj", "GET", f"/api/v1/orders/{n}"))[0] == 200
    status, body = await api.call("jtj", "GET", f"/api/v1/orders/{n}")
    assert status == 404 and body["error_id"] == "order-not-found"
    await api.act("jtj", n, "accept", expect=404)
    status, listing = await api.call("jtj", "GET", "/api/v1/orders")
    assert status == 200 and listing["total"] == 0
    status, listing = await api.call("zjj", "GET", "/api/v1/orders")
    assert [o["number"] for o in listing["items"]] == [n]


async def test_concurrent_actions_on_one_version_never_both_succeed(api: Api) -> None:
    n = (await _create(api))["number"]
    zjj, jtj = api.units["区住建局"], api.units["区交通运输局"]
    results = await asyncio.gather(
        api.call("agent", "POST", f"/api/v1/orders/{n}/dispatch", {"lead_unit": zjj, "version": 1}),
        api.call("boss", "POST", f"/api/v1/orders/{n}/dispatch", {"lead_unit": jtj, "version": 1}),
    )
    statuses = sorted(s for s, _ in results)
    assert statuses == [200, 409], results
    loser = next(b for s, b in results if s == 409)
    assert loser["error_id"] in ("version-conflict", "invalid-transition")


async def test_stale_version_is_a_conflict(api: Api) -> None:
    n = (await _create(api))["number"]
    status, body = await api.call("agent", "POST", f"/api/v1/orders/{n}/dispatch",
                                  {"lead_unit": api.units["区住建局"]}, headers={"If-Match": '"7"'})
    assert status == 409 and body["error_id"] == "version-conflict"


async def test_list_filters_and_pagination(api: Api) -> None:
    a = (await _create(api))["number"]
    b = (await _create(api, category="complaint", channel="sms", subject="乱收费", content="某部门乱收费"))["number"]
    await api.act("agent", a, "dispatch", {"lead_unit": api.units["区住建局"]})
    for query, expected in [
        ("status=dispatched", [a]), ("category=complaint", [b]), ("channel=sms", [b]),
        (f"unit={api.units['区住建局']}", [a]), ("q=乱收费", [b]), ("overdue=false&status=dispatched", [a]),
        ("from=2026-11-23T00:00:00%2B08:00&to=2026-11-24T00:00:00%2B08:00", [b, a]),
    ]:
        status, body = await api.call("boss", "GET", f"/api/v1/orders?{query}")
        assert status == 200 and [o["number"] for o in body["items"]] == expected, query
    status, page = await api.call("boss", "GET", "/api/v1/orders?limit=1&offset=1")
    assert page["total"] == 2 and [o["number"] for o in page["items"]] == [a]
    api.clock.set("2026-12-03T09:00:00")
    status, body = await api.call("boss", "GET", "/api/v1/orders?overdue=true")
    assert [o["number"] for o in body["items"]] == [a]


async def test_supervision_endpoint_reports_cards_and_flags(api: Api) -> None:
    zjj = api.units["区住建局"]
    numbers = [(await _create(api, subject=f"事项{i}", content=f"不同的事项内容{i}号"))["number"] for i in range(2)]
    for n in numbers:
        await api.act("agent", n, "dispatch", {"lead_unit": zjj})
    status, body = await api.call("boss", "POST", "/api/v1/supervision/sweep", {"at": "2026-12-03T09:00:00+08:00"})
    assert status == 200 and [c["color"] for c in body["cards"]] == ["yellow", "yellow"]
    assert body["flags"] == [{"unit": zjj, "month": "2026-12", "flag": "interview", "cards": 2}]
    status, again = await api.call("boss", "POST", "/api/v1/supervision/sweep", {"at": "2026-12-03T09:00:00+08:00"})
    assert again == {"cards": [], "flags": []}
    status, month = await api.call("boss", "GET", "/api/v1/supervision?month=2026-12")
    assert month["units"] == [{"unit": zjj, "yellow": 2, "red": 0}]
    status, order = await api.call("boss", "GET", f"/api/v1/orders/{numbers[0]}")
    assert order["card"] == "yellow"


async def test_duplicates_are_flagged_not_merged(api: Api) -> None:
    first = (await _create(api))["number"]
    second = await _create(api, channel="sms")
    assert second["possible_duplicates"] == [first] and second["status"] == "registered"
    d = await api.act("agent", second["number"], "merge", {"into": first})
    assert d["status"] == "merged" and d["merged_into"] == first


async def test_openapi_document_is_public(api: Api) -> None:
    resp = await api.client.get("/api/v1/openapi.json")
    doc = await resp.json()
    assert resp.status == 200 and doc["openapi"].startswith("3.")
    assert "/api/v1/orders/{number}/{action}" in doc["paths"]


def test_openapi_document_is_valid_openapi_3_1() -> None:
    from openapi_spec_validator import validate

    from callcenter.http.openapi import DOCUMENT
    from worksheet.commands import PERSON_COMMANDS

    validate(DOCUMENT)
    action = DOCUMENT["paths"]["/api/v1/orders/{number}/{action}"]["post"]["parameters"][1]
    assert set(action["schema"]["enum"]) == set(PERSON_COMMANDS)


async def test_overdue_filter_respects_status(api: Api) -> None:
    n = (await _create(api))["number"]
    await api.act("agent", n, "dispatch", {"lead_unit": api.units["区住建局"]})
    api.clock.set("2026-12-03T09:00:00")
    status, body = await api.call("boss", "GET", "/api/v1/orders?overdue=true&status=closed")
    assert status == 200 and body["total"] == 0 and body["items"] == []
    status, body = await api.call("boss", "GET", "/api/v1/orders?overdue=true&status=dispatched,closed")
    assert [o["number"] for o in body["items"]] == [n] and body["items"][0]["version"] == 2
