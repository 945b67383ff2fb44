"""End to end through the real composition: simulated Asterisk -> AMI client + FastAGI routes ->
desk -> work orders and call records in the database. This is what `zhitong demo` runs."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.admin import read_units
from callcenter.app import Services, build_services
from callcenter.db.migrate import upgrade
from callcenter.orders.services import SYSTEM, SearchQuery
from callcenter.pbxsim.scenarios import (
    IVR_HANGUP_MID_MENU,
    IVR_LEAVE_MESSAGE,
    ORIGINATE_ANSWERED,
    ORIGINATE_BUSY,
)
from callcenter.settings import Settings
from callcenter.telephony import Telephony, start_telephony
from worksheet import commands as c
from worksheet.intake import NewOrder
from worksheet.model import Actor, Category, Channel, Enterprise, Role, Status

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)


@pytest.fixture
async def stack(db_url: str) -> AsyncIterator[tuple[Services, Telephony]]:
    await upgrade(db_url)
    settings = Settings(database_url=db_url, agi_port=0)
    services = build_services(settings, clock=lambda: NOW)
    await services.units.upsert_many(read_units("demo"))
    tel = await start_telephony(settings, services, demo=True, demo_loop=False, speech=False)
    tel.simulator.time_scale = 0.0  # instant calls; the demo plays them in real time
    try:
        assert tel.ami is not None
        await asyncio.wait_for(tel.ami.connected.wait(), 5)
        await asyncio.wait_for(_until(lambda: services.calls.resyncs >= 1), 5)
        yield services, tel
    finally:
        await tel.stop()
        await services.engine.dispose()


async def _until(cond: Any) -> None:
    while not cond():
        await asyncio.sleep(0.01)


async def settled(services: Services, tel: Telephony, linkedid: str) -> dict[str, Any]:
    """The stored record once the AMI events of the call have all been handled."""
    assert tel.ami is not None
    for _ in range(500):
        await tel.ami.dispatcher.drained()
        await services.calls.flush()
        record = await services.calls.repo.get(linkedid)
        if record is not None and record["ended_at"] is not None:
            return record
        await asyncio.sleep(0.01)
    raise AssertionError(f"call {linkedid} never ended: {await services.calls.repo.get(linkedid)}")


async def test_a_caller_leaves_a_message_and_gets_a_draft_linked_to_the_call(
        stack: tuple[Services, Telephony]) -> None:
    services, tel = stack
    result = await tel.simulator.run(IVR_LEAVE_MESSAGE)
    assert result.error is None, result.error
    record = await settled(services, tel, result.linkedid)
    orders, total = await services.orders.search(SearchQuery(channel="phone"), SYSTEM)
    assert total == 1
    (draft,) = orders
    assert draft.status == Status.DRAFT and draft.category == Category.HELP  # menu 2: 反映问题/求助
    [recording] = await services.blobs.for_order(draft)  # the recording, by id; its path stays server-side
    assert recording.kind == "recording"
    assert re.fullmatch(rf"msg-{re.escape(result.uniqueid)}-[0-9a-f]{{8}}\.wav", recording.location)
    assert draft.enterprise.phone == IVR_LEAVE_MESSAGE.caller_num
    assert IVR_LEAVE_MESSAGE.caller_num not in draft.content and "/" not in draft.content
    assert record["order_number"] == draft.number
    assert record["dtmf"].startswith("21")
    assert record["recordings"] and record["recordings"][-1].endswith("/" + recording.location)
    assert record["ivr_path"] == ["hotline-in", "welcome", "main", "report", "leave-message", "message-thanks"]
    assert record["disposition"] == "ANSWERED"


async def test_a_hangup_mid_menu_makes_a_record_and_no_order(stack: tuple[Services, Telephony]) -> None:
    services, tel = stack
    result = await tel.simulator.run(IVR_HANGUP_MID_MENU)
    record = await settled(services, tel, result.linkedid)
    assert record["order_number"] is None
    assert (await services.orders.search(SearchQuery(), SYSTEM))[1] == 0


async def _order_waiting_for_callback(services: Services) -> str:
    spec = NewOrder(channel=Channel.PHONE, category=Category.HELP,
                    enterprise=Enterprise(name="绵阳华翔物流有限公司", phone="13800138000"),
                    subject="道路施工影响货物运输", content="华翔路施工，货物无法运出。", received_at=NOW)
    agent, boss = Actor("agent", Role.AGENT), Actor("boss", Role.SUPERVISOR)
    order = await services.orders.create(spec, agent)
    n = order.number
    await services.orders.act(n, c.Dispatch(actor=agent, lead_unit="jtj"))
    await services.orders.act(n, c.Accept(actor=Actor("h", Role.UNIT_HANDLER, "jtj")))
    await services.orders.act(n, c.Reply(actor=Actor("h", Role.UNIT_HANDLER, "jtj"), content="已协调解决"))
    order = await services.orders.act(n, c.Check(actor=boss, passed=True))
    assert order.status == Status.CALLBACK_PENDING
    return n


async def originate_survey(tel: Telephony, number: str, channel_id: str) -> Any:
    assert tel.ami is not None
    return await tel.ami.action("Originate", [
        ("Channel", "Local/13800138000@outbound"), ("Context", "survey-out"), ("Exten", "s"), ("Priority", "1"),
        ("Async", "true"), ("ChannelId", channel_id), ("Variable", f"ZT_ORDER_NUMBER={number}")])


async def test_an_answered_survey_callback_closes_the_order(stack: tuple[Services, Telephony]) -> None:
    services, tel = stack
    number = await _order_waiting_for_callback(services)
    tel.simulator.expect_originate(ORIGINATE_ANSWERED)  # the callee presses 1 (满意)
    reply = await originate_survey(tel, number, "cb-1")
    assert reply.ok, reply.response
    await _until_status(services, number, Status.CLOSED)
    await asyncio.wait_for(_until(lambda: tel.simulator.results), 5)  # the simulated call winds down
    linkedid = tel.simulator.results[-1].linkedid
    record = await settled(services, tel, linkedid)
    assert record["originate"]["reason"] == 4 and record["dtmf"] == "1"


async def test_a_busy_callee_leaves_the_order_waiting(stack: tuple[Services, Telephony]) -> None:
    services, tel = stack
    number = await _order_waiting_for_callback(services)
    tel.simulator.expect_originate(replace(ORIGINATE_BUSY))
    await originate_survey(tel, number, "cb-2")
    linkedid = tel.simulator.results[-1].linkedid if tel.simulator.results else None
    for _ in range(200):
        if tel.simulator.results and tel.simulator.results[-1].originate_reason is not None:
            break
        await asyncio.sleep(0.01)
    assert tel.simulator.results[-1].originate_reason == 5
    linkedid = tel.simulator.results[-1].linkedid
    record = await settled(services, tel, linkedid)
    assert record["disposition"] == "BUSY" and record["originate"]["reason"] == 5
    assert (await services.orders.get(number, SYSTEM)).status == Status.CALLBACK_PENDING


async def _until_status(services: Services, number: str, status: Status) -> Any:
    for _ in range(500):
        order = await services.orders.get(number, SYSTEM)
        if order.status == status:
            return order
        await asyncio.sleep(0.01)
    raise AssertionError(f"order {number} never reached {status}")


async def test_the_satisfaction_loop_reopens_an_unsatisfied_order_then_closes_it(
        stack: tuple[Services, Telephony]) -> None:
    """Reply checked -> a survey is dialled -> 3 (不满意) -> back with its unit -> replied and checked
    again -> a second survey for the new cycle -> 1 (满意) -> closed."""
    services, tel = stack
    number = await _order_waiting_for_callback(services)  # the check scheduled the first survey
    jobs = await services.callbacks.repo.list()
    assert [(j.order_number, j.status) for j in jobs] == [(number, "scheduled")]
    tel.simulator.expect_originate(replace(ORIGINATE_ANSWERED, presses=("3",)))
    report = await services.callbacks.run_due()
    assert report.claimed == 1 and not report.failed
    order = await _until_status(services, number, Status.HANDLING)
    assert order.lead_unit == "jtj"
    unit = Actor("h", Role.UNIT_HANDLER, "jtj")
    await services.orders.act(number, c.Reply(actor=unit, content="已重新协调，限高杆已拆除"))
    await services.orders.act(number, c.Check(actor=Actor("boss", Role.SUPERVISOR), passed=True))
    tel.simulator.expect_originate(replace(ORIGINATE_ANSWERED, presses=("1",)))
    report = await services.callbacks.run_due()
    assert report.claimed == 1
    order = await _until_status(services, number, Status.CLOSED)
    for _ in range(500):  # the survey route records the job's result right after the order's
        jobs = await services.callbacks.repo.list()
        if all(j.status == "done" for j in jobs):
            break
        await asyncio.sleep(0.01)
    assert sorted((j.cycle, j.status, j.result) for j in jobs) == [
        (1, "done", "unsatisfied"), (order.cycle, "done", "satisfied")]
    assert await services.callbacks.run_due() == type(report)()  # nothing left: no second dial
