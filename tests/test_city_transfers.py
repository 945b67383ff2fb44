"""Signed transfers from the city platform through a real server, on SQLite and PostgreSQL: a transfer
becomes one registered order (the city's number, time and deadline), retries are idempotent, and every
hostile request is a clear 4xx that creates nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from api_helpers import Api, start_api
from city_helpers import (
    OLD_SECRET,
    PATH,
    SECRET,
    TRANSFER,
    FakeCity,
    post_transfer,
    start_city_api,
    start_fake_city,
    transfer,
)

from callcenter.city.signing import signed_headers
from tests.security.test_route_fuzz import bodies


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[Api]:
    city = FakeCity()
    async for url in start_fake_city(city):
        async for a in start_city_api(db_url, city, url):
            yield a


async def city_orders(api: Api) -> list[dict]:  # type: ignore[type-arg]
    status, data = await api.call("boss", "GET", "/api/v1/orders?channel=city_platform")
    assert status == 200
    return data["items"]


async def test_a_transfer_becomes_a_registered_order_with_the_citys_number_time_and_deadline(api: Api) -> None:
    status, data = await post_transfer(api)
    assert status == 201, data
    assert data["created"] is True and data["status"] == "registered" and data["api_version"] == "1"
    assert data["city_order_id"] == TRANSFER["city_order_id"]
    assert datetime.fromisoformat(data["deadline"]) == datetime.fromisoformat(TRANSFER["deadline"])
    status, order = await api.call("agent", "GET", f"/api/v1/orders/{data['order_number']}")
    assert status == 200 and order["status"] == "registered" and order["channel"] == "city_platform"
    assert order["city"]["number"] == TRANSFER["city_order_id"]
    assert datetime.fromisoformat(order["received_at"]) == datetime.fromisoformat(TRANSFER["received_at"])
    assert order["enterprise"]["name"] == "绵阳华翔物流有限公司" and order["enterprise"]["contact_person"] == "王经理"
    assert order["enterprise"]["phone"] != "13800138000" and order["enterprise"]["phone"].endswith("8000")  # masked
    assert order["history"][0]["actor"] == "city-platform"
    # Dispatched, the unit's handling deadline is the city's, not the preset's seven working days.
    order = await api.act("agent", order["number"], "dispatch", {"lead_unit": api.units["区交通运输局"]})
    assert datetime.fromisoformat(order["deadlines"]["handling"]["due"]) == datetime.fromisoformat(TRANSFER["deadline"])


async def test_without_a_deadline_the_districts_limits_apply(api: Api) -> None:
    body = {k: v for k, v in transfer(city_order_id="MY-NO-DEADLINE").items() if k != "deadline"}
    status, data = await post_transfer(api, body)
    assert status == 201 and data["deadline"] is None
    order = await api.act("agent", data["order_number"], "dispatch", {"lead_unit": api.units["区交通运输局"]})
    assert order["deadlines"]["handling"]["due"].startswith("2026-12-02T23:59:59")  # 7 working days


async def test_a_retry_returns_the_same_order_and_a_conflicting_one_is_409(api: Api) -> None:
    status, first = await post_transfer(api)
    assert status == 201
    # The same content, keys in another order and other spacing: a retry, not a new order.
    again = json.dumps(dict(reversed(list(TRANSFER.items()))), ensure_ascii=False, indent=2).encode()
    status, retry = await post_transfer(api, raw=again)
    assert status == 200 and retry["order_number"] == first["order_number"] and retry["created"] is False
    status, problem = await post_transfer(api, transfer(subject="另一件事"))
    assert status == 409 and problem["error_id"] == "city-transfer-conflict"
    assert len(await city_orders(api)) == 1
    # Staff find the order by the city's number; a unit handler may not look.
    status, found = await api.call("agent", "GET", f"/api/v1/city/transfers/{TRANSFER['city_order_id']}")
    assert status == 200 and found["order_number"] == first["order_number"] and found["status"] == "registered"
    assert (await api.call("zjj", "GET", f"/api/v1/city/transfers/{TRANSFER['city_order_id']}"))[0] == 403
    status, problem = await api.call("agent", "GET", "/api/v1/city/transfers/MY-UNKNOWN")
    assert status == 404 and problem["error_id"] == "city-transfer-not-found"


async def test_concurrent_deliveries_of_one_transfer_make_one_order(api: Api) -> None:
    results = await asyncio.gather(*(post_transfer(api) for _ in range(6)))
    assert sorted(s for s, _ in results) == [200] * 5 + [201]
    assert len({d["order_number"] for _, d in results}) == 1
    assert len(await city_orders(api)) == 1


async def test_a_replayed_request_is_idempotent_inside_the_window_and_refused_after_it(api: Api) -> None:
    raw = json.dumps(TRANSFER, ensure_ascii=False).encode()
    headers = signed_headers(OLD_SECRET, api.clock.now, raw)  # the secret being rotated out still works
    first = await api.client.post(PATH, data=raw, headers=headers)
    replay = await api.client.post(PATH, data=raw, headers=headers)
    assert (first.status, replay.status) == (201, 200)
    assert (await first.json())["order_number"] == (await replay.json())["order_number"]
    api.clock.now += timedelta(minutes=6)
    late = await api.client.post(PATH, data=raw, headers=headers)
    assert late.status == 401 and (await late.json())["error_id"] == "city-timestamp-stale"


@pytest.mark.parametrize(("case", "error_id"), [
    ("wrong-secret", "city-signature-invalid"), ("tampered", "city-signature-invalid"),
    ("no-signature", "city-signature-missing"), ("stale", "city-timestamp-stale"), ("future", "city-timestamp-stale"),
    ("bad-timestamp", "city-timestamp-invalid"),
])
async def test_unsigned_or_badly_signed_requests_are_refused_and_create_nothing(api: Api, case: str,
                                                                             error_id: str) -> None:
    raw = json.dumps(TRANSFER, ensure_ascii=False).encode()
    if case == "wrong-secret":
        status, data = await post_transfer(api, secret="x" * 40)
    elif case == "stale":
        status, data = await post_transfer(api, skew_s=-301)
    elif case == "future":
        status, data = await post_transfer(api, skew_s=301)
    else:
        headers = signed_headers(SECRET, api.clock.now, raw)
        if case == "tampered":
            raw = raw.replace("华翔路".encode(), "创业路".encode())
        elif case == "no-signature":
            headers.pop("X-City-Signature")
        else:
            headers["X-City-Timestamp"] = "yesterday"
        resp = await api.client.post(PATH, data=raw, headers=headers)
        status, data = resp.status, await resp.json(content_type=None)
    assert status == (400 if case == "bad-timestamp" else 401), data
    assert data["error_id"] == error_id and data["status"] == status
    assert await city_orders(api) == []


@pytest.mark.parametrize(("body", "status", "error_id", "names"), [
    (b"{not json", 400, "malformed-json", ""),
    (b"[1, 2]", 422, "validation-failed", "object"),
    (b'{"deep": ' * 40 + b"1" + b"}" * 40, 400, "json-too-deep", ""),
    (json.dumps(transfer(category=5)).encode(), 422, "validation-failed", "category"),
    (json.dumps(transfer(category="gossip")).encode(), 422, "validation-failed", "category"),
    (json.dumps(transfer(subject=["a"])).encode(), 422, "validation-failed", "subject"),
    (json.dumps(transfer(enterprise="某公司")).encode(), 422, "validation-failed", "enterprise"),
    (json.dumps(transfer(enterprise={"name": "某公司", "bank": "x"})).encode(), 422, "validation-failed", "enterprise"),
    (json.dumps(transfer(deadline="tomorrow")).encode(), 422, "validation-failed", "deadline"),
    (json.dumps(transfer(deadline="2026-11-20T18:00:00+08:00")).encode(), 422, "validation-failed", "city.due"),
    (json.dumps(transfer(received_at="2026-11-23T08:10:00")).encode(), 422, "validation-failed", "received_at"),
    (json.dumps(transfer(received_at="2027-01-01T08:10:00+08:00")).encode(), 422, "validation-failed", "future"),
    (json.dumps(transfer(city_order_id="有 空格")).encode(), 422, "validation-failed", "city_order_id"),
    (json.dumps(transfer(city_order_id=12345)).encode(), 422, "validation-failed", "city_order_id"),
    (json.dumps(transfer(priority="high")).encode(), 422, "validation-failed", "priority"),
    (json.dumps({k: v for k, v in TRANSFER.items() if k != "subject"}).encode(), 422, "validation-failed", "subject"),
    (json.dumps(transfer(content="x\u0000y")).encode(), 400, "invalid-characters", ""),
    (json.dumps(transfer(enterprise={"name": "某公司", "phone": "call me"})).encode(), 422, "validation-failed", "phone"),
])
async def test_malformed_transfers_are_typed_errors_and_create_nothing(api: Api, body: bytes, status: int,
                                                                      error_id: str, names: str) -> None:
    got, data = await post_transfer(api, raw=body)
    assert (got, data["error_id"]) == (status, error_id), data
    assert names in data["detail"]
    assert await city_orders(api) == []
    # The id was not used up: the corrected transfer goes through.
    assert (await post_transfer(api))[0] == 201


async def test_a_huge_body_is_refused_before_it_is_read(api: Api) -> None:
    status, data = await post_transfer(api, transfer(content="涪" * 200_000))
    assert status == 413 and data["error_id"] == "city-body-too-large"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit holds while reading
        for _ in range(300):
            yield b"x" * 1024

    resp = await api.client.post(PATH, data=chunks(), headers={"X-City-Timestamp": "1", "X-City-Signature": "v1=0",
                                                                   "Content-Type": "application/json"})
    assert resp.status == 413 and (await resp.json())["error_id"] == "city-body-too-large"
    assert await city_orders(api) == []
    # A transfer within the limit sent in small chunks is read whole, and its signature holds.
    raw = json.dumps(TRANSFER, ensure_ascii=False).encode()

    async def pieces() -> AsyncIterator[bytes]:
        for i in range(0, len(raw), 7):
            yield raw[i:i + 7]

    resp = await api.client.post(PATH, data=pieces(), headers=signed_headers(SECRET, api.clock.now, raw))
    assert resp.status == 201, await resp.text()


async def test_reports_count_city_orders_by_their_channel(api: Api) -> None:
    for i in range(3):
        assert (await post_transfer(api, transfer(city_order_id=f"MY-{i}")))[0] == 201
    status, report = await api.call("boss", "GET", "/api/v1/reports?period=month&date=2026-11")
    assert status == 200
    counts = {c["key"]: c["count"] for c in report["received"]["by_channel"]}
    labels = {c["key"]: c["label"] for c in report["received"]["by_channel"]}
    assert counts["city_platform"] == 3 and counts["phone"] == 0 and labels["city_platform"] == "市级平台转办"


async def test_the_channel_is_off_unless_configured(db_url: str) -> None:
    async for api in start_api(db_url):
        status, data = await post_transfer(api)
        assert status == 404 and data["error_id"] == "not-found"
        status, data = await api.call("boss", "GET", "/api/v1/city/outbox")
        assert status == 200 and data == {"items": [], "configured": False}


async def test_signed_hostile_bodies_are_4xx_and_the_service_keeps_working(api: Api) -> None:
    """The route fuzzer's bodies (deep nesting, huge numbers, NaN, NUL, bad UTF-8, forms, XML…), each
    correctly signed so it reaches the parser: never a 5xx, always a typed error, nothing stored."""
    seen = []
    for what, kind, body in bodies(""):
        headers = {**signed_headers(SECRET, api.clock.now, body), "Content-Type": kind}
        resp = await api.client.post(PATH, data=body, headers=headers)
        problem = await resp.json(content_type=None)
        assert 400 <= resp.status < 500 and problem["error_id"], (what, resp.status, problem)
        seen.append(resp.status)
    assert {400, 415, 422} <= set(seen)
    assert await city_orders(api) == []
    assert (await post_transfer(api))[0] == 201
