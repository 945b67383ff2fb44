"""After an order is stored its observers (SMS, notices, callbacks, live pages) run: the API answers
without waiting for them (wait=False), but each order's changes still reach them in order, a failing
observer stops nothing, and `settle()` (shutdown, CLI commands) waits for all of them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from callcenter.app import Services, build_services
from callcenter.db.direct import dispose
from callcenter.db.migrate import upgrade
from callcenter.settings import Settings
from tests.api_helpers import FakeClock
from worksheet import commands as c
from worksheet.intake import NewOrder
from worksheet.model import Actor, Category, Channel, Enterprise, Role, WorkOrder

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
AGENT = Actor("agent1", Role.AGENT)
SPEC = NewOrder(channel=Channel.PHONE, category=Category.HELP, enterprise=Enterprise("绵阳华翔物流有限公司"),
                subject="道路施工", content="华翔路施工，货物运不出去", received_at=NOW)


@pytest.fixture
async def services(db_url: str) -> AsyncIterator[Services]:
    await upgrade(db_url)
    built = build_services(Settings(database_url=db_url, sms="log"), clock=FakeClock(NOW))
    built.orders.observers.clear()  # only this test's observers
    yield built
    await built.orders.settle()
    await dispose(built.engine)


async def test_the_api_answer_does_not_wait_for_the_observers_and_settle_does(services: Services) -> None:
    release, seen = asyncio.Event(), []

    async def slow(order: WorkOrder) -> None:
        await release.wait()
        seen.append((order.number, order.version))

    services.orders.observers.append(slow)
    order = await asyncio.wait_for(services.orders.create(SPEC, AGENT, wait=False), 10)
    assert seen == []  # answered while the observer still waits
    settling = asyncio.ensure_future(services.orders.settle())
    await asyncio.sleep(0.05)
    assert not settling.done()
    release.set()
    await asyncio.wait_for(settling, 10)
    assert seen == [(order.number, 1)]


async def test_an_orders_changes_reach_the_observers_in_order_and_a_failure_stops_nothing(
        services: Services) -> None:
    calls: list[tuple[str, int]] = []
    first_change_may_end = asyncio.Event()

    async def flaky(order: WorkOrder) -> None:
        if order.version == 1:
            await first_change_may_end.wait()  # the create's observers are slow...
            raise RuntimeError("the SMS provider is down")
        calls.append(("flaky", order.version))

    async def recorder(order: WorkOrder) -> None:
        calls.append(("recorder", order.version))

    services.orders.observers += [flaky, recorder]
    order = await services.orders.create(SPEC, AGENT, wait=False)
    note = c.AddSupplement(actor=AGENT, text="企业来电催办")
    await services.orders.act(order.number, note, wait=False)  # ...so the note's must wait for them
    await asyncio.sleep(0.05)
    assert calls == []
    first_change_may_end.set()
    await asyncio.wait_for(services.orders.settle(), 10)
    assert calls == [("recorder", 1), ("flaky", 2), ("recorder", 2)]


async def test_a_service_caller_waits_for_the_observers_by_default(services: Services) -> None:
    seen: list[str] = []

    async def observer(order: WorkOrder) -> None:
        await asyncio.sleep(0.02)
        seen.append(order.number)

    services.orders.observers.append(observer)
    order = await services.orders.create(SPEC, AGENT)  # the IVR, the SMS and mail intake: wait=True
    assert seen == [order.number]
