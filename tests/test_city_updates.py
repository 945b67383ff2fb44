"""Status updates to the city through a real server and a local fake city platform (SQLite and
PostgreSQL): queued after each order event, signed, delivered in order with retries, idempotent by
event id, kept across a restart; and 退回市级平台 end to end, by the API and by the order page's form."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from api_helpers import Api, FakeClock
from city_helpers import SECRET, FakeCity, fake_city, post_transfer, start_city_api  # noqa: F401  (the `city` fixture)
from page_helpers import page

from callcenter.app import build_app
from callcenter.city.delivery import CityUpdates
from callcenter.city.keys import CITY_UPDATES
from callcenter.city.outbox import CityOutbox
from callcenter.city.updates import CityUpdate
from callcenter.settings import Settings


@pytest.fixture
async def api(db_url: str, city: tuple[FakeCity, str]) -> AsyncIterator[Api]:
    async for a in start_city_api(db_url, *city):
        yield a


async def settle(updates: CityUpdates) -> None:
    """Wait for the server's own delivery loop to finish a send it is in the middle of."""
    for _ in range(200):
        if not await updates.outbox.list(status="sending"):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("an update stayed in 'sending'")


async def deliver(api: Api, rounds: int = 8) -> None:
    """Run delivery rounds, moving the (fake) clock past each retry delay."""
    updates = api.client.server.app[CITY_UPDATES]
    for _ in range(rounds):
        await settle(updates)
        await updates.run_due()
        api.clock.now += timedelta(minutes=5)
    await settle(updates)


async def outbox(api: Api, **query: str) -> list[dict]:  # type: ignore[type-arg]
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    status, data = await api.call("boss", "GET", f"/api/v1/city/outbox?{qs}")
    assert status == 200 and data["configured"] is True
    return data["items"]


async def test_accepted_replied_and_closed_reach_the_city_in_order_despite_failures(
        api: Api, city: tuple[FakeCity, str]) -> None:
    fake, _ = city
    fake.fail_first = 2  # the city is down for the first two attempts
    _, made = await post_transfer(api)
    number, unit = made["order_number"], api.units["区交通运输局"]
    await api.act("agent", number, "dispatch", {"lead_unit": unit})
    await api.act("jtj", number, "accept")
    await api.act("jtj", number, "reply", {"content": "已协调施工单位开放临时通道。"})
    await api.act("boss", number, "check", {"passed": True})
    await api.act("agent", number, "callback-result", {"rating": "satisfied"})
    await deliver(api)
    assert [u["type"] for u in fake.received] == ["accepted", "replied", "closed"]
    accepted, replied, closed = fake.received
    assert accepted["city_order_id"] == made["city_order_id"] and accepted["order_number"] == number
    assert accepted["deadline"].startswith("2026-11-25T18:00:00") and accepted["api_version"] == "1"
    assert replied["reply"] == "已协调施工单位开放临时通道。" and replied["status"] == "callback_pending"
    assert closed["closure_reason"] == "satisfied" and closed["status"] == "closed"
    assert accepted["sequence"] < replied["sequence"] < closed["sequence"]
    assert fake.refused == [] and fake.fail_first == 0  # every request carried a valid signature
    rows = await outbox(api, order_number=number)
    assert {r["status"] for r in rows} == {"delivered"}
    first = next(r for r in rows if r["kind"] == "accepted")
    assert first["attempts"] == 3 and first["last_error"] is None
    # Delivering again sends nothing: each event id is delivered once.
    await deliver(api, 2)
    assert len(fake.received) == 3 and len(fake.seen) == 3


async def test_a_refused_update_fails_at_once_and_a_supervisor_can_send_it_again(
        api: Api, city: tuple[FakeCity, str]) -> None:
    fake, _ = city
    fake.answer = 422
    await post_transfer(api)
    await deliver(api, 2)
    (row,) = await outbox(api, status="failed")
    assert row["attempts"] == 1 and row["last_error"].startswith("HTTP 422")
    status, problem = await api.call("agent", "POST", f"/api/v1/city/outbox/{row['id']}/retry")
    assert status == 403  # supervisors decide
    fake.answer = 200
    status, again = await api.call("boss", "POST", f"/api/v1/city/outbox/{row['id']}/retry")
    assert status == 200 and again["status"] == "pending"
    status, problem = await api.call("boss", "POST", f"/api/v1/city/outbox/{row['id']}/retry")
    assert status == 409 and problem["error_id"] == "city-update-not-failed"
    await deliver(api, 1)
    assert [u["type"] for u in fake.received] == ["accepted"]
    status, problem = await api.call("boss", "GET", "/api/v1/city/outbox?status=lost")
    assert status == 422


async def test_return_to_city_by_the_api_is_audited_on_the_order_and_reaches_the_city(
        api: Api, city: tuple[FakeCity, str]) -> None:
    fake, _ = city
    _, made = await post_transfer(api)
    number = made["order_number"]
    status, order = await api.call("agent", "GET", f"/api/v1/orders/{number}")
    assert "return-to-city" in order["allowed_actions"]
    problem = await api.act("agent", number, "return-to-city", {"reason": "  "}, expect=422)
    assert problem["error_id"] == "validation-failed" and "reason" in problem["detail"]
    await api.act("zjj", number, "return-to-city", {"reason": "不属本区"}, expect=404)  # not theirs to see
    order = await api.act("agent", number, "return-to-city", {"reason": "事发地在高新区，不属本区管辖"})
    assert order["status"] == "returned_to_city" and order["allowed_actions"] == []
    last = order["history"][-1]
    assert (last["type"], last["actor"], last["data"]["reason"]) == ("return-to-city", "agent",
                                                                      "事发地在高新区，不属本区管辖")
    await api.act("agent", number, "return-to-city", {"reason": "再退一次"}, expect=409)  # already gone
    await deliver(api)
    assert [u["type"] for u in fake.received] == ["accepted", "returned"]
    assert fake.received[1]["reason"] == "事发地在高新区，不属本区管辖"
    assert fake.received[1]["status"] == "returned_to_city"
    # An order that did not come from the city cannot be returned to it.
    status, phone = await api.call("agent", "POST", "/api/v1/orders", {
        "channel": "phone", "category": "help", "subject": "s", "content": "c", "enterprise": {"name": "某公司"}})
    assert "return-to-city" not in phone["allowed_actions"]
    problem = await api.act("agent", phone["number"], "return-to-city", {"reason": "不属本区"}, expect=409)
    assert problem["error_id"] == "invalid-transition"


async def test_return_to_city_from_the_order_page_form(api: Api, city: tuple[FakeCity, str]) -> None:
    fake, _ = city
    _, made = await post_transfer(api)
    number = made["order_number"]
    status, html = await page(api, "agent", f"/orders/{number}")
    assert status == 200 and "市级平台工单号" in html and made["city_order_id"] in html
    assert "2026-11-25 18:00" in html and 'data-action="return-to-city"' in html and "退回市级平台" in html
    status, html = await page(api, "agent", f"/orders/{number}/act/return-to-city", {"version": "1", "reason": ""})
    assert status == 422 and "请填写理由" in html  # the form says what is missing; nothing changed
    status, html = await page(api, "agent", f"/orders/{number}/act/return-to-city",
                              {"version": "1", "reason": "属地在游仙区"})
    assert status == 200 and "已退回市级平台" in html and "属地在游仙区" in html
    assert 'data-action="return-to-city"' not in html
    await deliver(api)
    assert [u["type"] for u in fake.received] == ["accepted", "returned"]


async def test_updates_survive_a_restart_and_a_city_that_was_unreachable(db_url: str,
                                                                         city: tuple[FakeCity, str]) -> None:
    fake, url = city
    clock = FakeClock()
    files = tempfile.mkdtemp(prefix="zt-city-")
    common = {"database_url": db_url, "city_secrets": (SECRET,), "blob_dir": f"{files}/b",
              "recordings_dir": f"{files}/r"}

    async def serve(base_url: str) -> TestClient:
        app = build_app(Settings(**common, city_base_url=base_url), clock=clock, telephony=False)
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        return client

    try:
        client = await serve("http://127.0.0.1:9/nowhere")  # nothing listens there: connection refused
        api = Api(client, clock, {}, {})
        assert (await post_transfer(api))[0] == 201
        updates = client.server.app[CITY_UPDATES]
        await settle(updates)
        await updates.run_due()
        await settle(updates)
        (row,) = await updates.outbox.list()
        assert row.status == "pending" and row.attempts >= 1 and row.last_error
        await client.close()  # the service stops with the update undelivered
        fake.clock = clock
        client = await serve(url)
        clock.now += timedelta(hours=2)
        await settle(client.server.app[CITY_UPDATES])
        await client.server.app[CITY_UPDATES].run_due()
        await settle(client.server.app[CITY_UPDATES])
        assert [u["type"] for u in fake.received] == ["accepted"]
        (row,) = await client.server.app[CITY_UPDATES].outbox.list()
        assert row.status == "delivered"
        await client.close()
    finally:
        shutil.rmtree(files, ignore_errors=True)


async def test_a_send_interrupted_by_a_dying_node_is_claimed_again_after_its_lease(engine) -> None:  # type: ignore[no-untyped-def]
    box = CityOutbox(engine)
    now = FakeClock().now
    update = CityUpdate("20261123-0001:e1:accepted", "accepted", "20261123-0001", "MY-1", {"type": "accepted"})
    assert await box.enqueue([update, update], now) == 1  # one row per event id
    assert await box.enqueue([update], now) == 0
    later = CityUpdate("20261123-0001:e5:closed", "closed", "20261123-0001", "MY-1", {"type": "closed"})
    await box.enqueue([later], now)
    (claimed,) = await box.claim_due(now, 10, timedelta(minutes=2))  # the later one waits for the first
    assert claimed.event_id == update.event_id
    assert await box.claim_due(now + timedelta(minutes=1), 10, timedelta(minutes=2)) == []
    (again,) = await box.claim_due(now + timedelta(minutes=3), 10, timedelta(minutes=2))
    assert again.event_id == update.event_id and again.attempts == 2
    await box.delivered(claimed, now)  # the dead node's claim can no longer settle it
    assert (await box.list(status="sending"))[0].id == again.id
    await box.delivered(again, now + timedelta(minutes=3))
    (nxt,) = await box.claim_due(now + timedelta(minutes=3), 10, timedelta(minutes=2))
    assert nxt.event_id == later.event_id
