"""Issue 5 end to end: the simulated Asterisk, the real twilio client against a local fake Twilio,
and Twilio's webhooks into the app's HTTP server.

- An order is replied and checked → a survey call → 3 → back with its unit → replied again → a
  second survey → 1 → closed; the confirmations (受理, 已答复 twice, 办结) arrive at the fake
  Twilio and its delivery reports come back through the signed status webhook.
- The fax capture's flow (ReceiveFAX into the spool) becomes a draft with OCR text and a
  fax-received SMS.
- A caller who never answers the survey calls gets the survey by SMS and answers it by SMS.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestServer

from callcenter.admin import read_units
from callcenter.app import Services, attach_services, build_services, build_web
from callcenter.db.migrate import upgrade
from callcenter.enterprises.service import DEMO_DIRECTORY, load_enterprises
from callcenter.fax.sample import render_fax_tiff
from callcenter.orders.services import SYSTEM
from callcenter.pbxsim.scenarios import FAX_RECEIVED, ORIGINATE_ANSWERED, ORIGINATE_BUSY
from callcenter.settings import Settings
from callcenter.sms.http import INBOUND_PATH
from callcenter.telephony import Telephony, start_telephony
from tests.fake_twilio import FakeTwilio
from tests.test_demo_e2e import _order_waiting_for_callback, settled
from worksheet import commands as c
from worksheet.model import Actor, Role, Status

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)  # Monday, inside the calling window
MOBILE = "+8613800138000"


@dataclass
class Stack:
    services: Services
    tel: Telephony
    fake: FakeTwilio
    web: TestServer
    spool: Path

    async def send_sms(self) -> None:
        """One round of the sender loop, then wait for the fake's delivery reports to be posted."""
        await self.services.sms.run_due()
        await self.fake.settle()

    def bodies(self) -> list[str]:
        return [m["Body"] for m in self.fake.messages]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def stack(db_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    await upgrade(db_url)
    port = free_port()
    async with FakeTwilio() as fake:
        settings = Settings(
            database_url=db_url, agi_port=0, sms="twilio", twilio_account_sid=fake.account_sid,
            twilio_auth_token=fake.auth_token, twilio_from="+15005550006", twilio_api_base=fake.base_url,
            public_url=f"http://127.0.0.1:{port}", fax_incoming_dir=str(tmp_path / "spool"),
            fax_store_dir=str(tmp_path / "store"))
        services = build_services(settings, clock=lambda: NOW)
        await services.units.upsert_many(read_units("demo"))
        await load_enterprises(services.engine, DEMO_DIRECTORY)
        app = build_web()
        attach_services(app, services, settings)
        web = TestServer(app, host="127.0.0.1", port=port)
        await web.start_server()
        tel = await start_telephony(settings, services, demo=True, demo_loop=False, speech=False)
        tel.simulator.time_scale = 0.0
        try:
            assert tel.ami is not None
            await asyncio.wait_for(tel.ami.connected.wait(), 5)
            yield Stack(services, tel, fake, web, tmp_path / "spool")
        finally:
            await tel.stop()
            await web.close()
            await services.engine.dispose()


async def until(check: Callable[[], Awaitable[Any]], what: str) -> Any:
    for _ in range(500):
        if value := await check():
            return value
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def status_is(stack: Stack, number: str, status: Status) -> Any:
    async def check() -> Any:
        order = await stack.services.orders.get(number, SYSTEM)
        return order if order.status == status else None
    return await until(check, f"{number} to be {status.value}")


async def test_the_satisfaction_loop_with_its_sms_confirmations(stack: Stack) -> None:
    services, sim = stack.services, stack.tel.simulator
    number = await _order_waiting_for_callback(services)
    await stack.send_sms()
    assert [b for b in stack.bodies()] == [
        f"您反映的问题已受理，工单号{number}，" + stack.bodies()[0].split("，", 2)[2],
        f"您的工单{number}已由承办单位答复，我们将尽快回访，请留意来电或短信。"]
    assert all(m["To"] == MOBILE and m["StatusCallback"].endswith("/webhooks/twilio/sms-status")
               for m in stack.fake.messages)

    sim.expect_originate(replace(ORIGINATE_ANSWERED, presses=("3",)))
    assert (await services.callbacks.run_due()).claimed == 1
    order = await status_is(stack, number, Status.HANDLING)
    assert order.lead_unit == "jtj" and order.unsatisfied_count == 1
    unit = Actor("h", Role.UNIT_HANDLER, "jtj")
    await services.orders.act(number, c.Reply(actor=unit, content="已重新协调，限高杆已拆除"))
    await services.orders.act(number, c.Check(actor=Actor("boss", Role.SUPERVISOR), passed=True))
    sim.expect_originate(replace(ORIGINATE_ANSWERED, presses=("1",)))
    assert (await services.callbacks.run_due()).claimed == 1
    await status_is(stack, number, Status.CLOSED)

    async def queued() -> Any:  # the observers queue the message right after the order is saved
        templates = [m.template for m in reversed(await services.sms.outbox.list(order_number=number))]
        return templates if "order_closed" in templates else None

    assert await until(queued, "the closing SMS") == ["order_accepted", "order_replied", "order_replied",
                                                      "order_closed"]
    await stack.send_sms()
    assert stack.bodies()[-1] == f"您的工单{number}已办结，感谢您对热线工作的支持。"
    assert len(stack.fake.messages) == 4
    # Every delivery report came back through the signed webhook and was applied.
    assert {status for _, _, status in stack.fake.callbacks} == {204}
    assert {m.status for m in await services.sms.outbox.list()} == {"delivered"}
    await stack.send_sms()
    assert len(stack.fake.messages) == 4  # nothing sent twice


async def test_a_received_fax_becomes_a_draft_and_the_sender_gets_its_number(stack: Stack, tmp_path: Path) -> None:
    page = tmp_path / "page.tif"
    page.write_bytes(render_fax_tiff(("绵阳华翔物流有限公司", "反映：华翔路道路施工，货物无法运出。",
                                      "联系人：王经理 电话：13800138000")))
    result = await stack.tel.simulator.run(replace(FAX_RECEIVED, caller_num="13800138000", fax_file=str(page)))
    assert result.error is None, result.error
    record = await settled(stack.services, stack.tel, result.linkedid)
    assert record["fax"]["status"] == "SUCCESS" and record["fax"]["pages"] == 1

    async def drafted() -> Any:
        await stack.services.faxes.run_once()
        receipts = await stack.services.faxes.receipts.list()
        return receipts if receipts and receipts[0].status == "drafted" else None

    [receipt] = await until(drafted, "the fax to be drafted")
    order = await stack.services.orders.get(receipt.order_number, SYSTEM)
    assert order.status == Status.DRAFT and "华翔路道路施工" in order.content
    assert order.enterprise.name == "绵阳华翔物流有限公司"
    assert (await stack.services.calls.repo.get(result.linkedid))["order_number"] == order.number
    await stack.send_sms()
    assert stack.bodies() == [f"您的传真已收到，草稿编号{order.number}，工作人员将尽快登记处理。"]


async def test_a_failed_fax_is_listed_and_nobody_is_texted(stack: Stack) -> None:
    result = await stack.tel.simulator.run(replace(FAX_RECEIVED, caller_num="13800138000", fax_failed=True))
    await settled(stack.services, stack.tel, result.linkedid)

    async def recorded() -> Any:
        return await stack.services.faxes.receipts.list()

    [receipt] = await until(recorded, "the failed fax to be recorded")
    assert receipt.status == "failed" and receipt.fax_status == "FAILED" and receipt.pages == 0
    assert not await stack.services.faxes.run_once()
    await stack.send_sms()
    assert stack.fake.messages == []


async def test_an_unreachable_caller_answers_the_survey_by_sms(stack: Stack) -> None:
    services, sim = stack.services, stack.tel.simulator
    number = await _order_waiting_for_callback(services)
    callbacks = services.callbacks
    for attempt in range(1, callbacks.policy.max_attempts + 1):
        job = await callbacks.repo.active_for(number)
        sim.expect_originate(ORIGINATE_BUSY)
        report = await callbacks.run_due(max(NOW, job.due_at))
        assert report.claimed == 1, (attempt, job)

        async def settled_attempt() -> Any:
            current = await callbacks.repo.active_for(number)
            return current if current.status != "dialling" else None

        job = await until(settled_attempt, f"attempt {attempt} to be settled")
    assert job.status == "waiting_sms"
    await services.sms.run_due(job.updated_at.replace(hour=14))  # the survey goes out in calling hours
    await stack.fake.settle()
    assert stack.bodies()[-1] == f"请评价工单{number}的办理情况：回复1满意，2基本满意，3不满意。"

    url = str(stack.web.make_url(INBOUND_PATH))
    assert await stack.fake.send_inbound(url, MOBILE, "2") == 200
    order = await stack.services.orders.get(number, SYSTEM)
    assert order.status == Status.CLOSED and order.callbacks[-1].rating.value == "basically_satisfied"
    assert (await callbacks.repo.for_cycle(number, order.cycle)).result == "basically_satisfied"
    assert await stack.fake.send_inbound(url, MOBILE, "2", sid=stack.fake.callbacks[-1][1]["MessageSid"]) == 200
    assert len(order.callbacks) == len((await stack.services.orders.get(number, SYSTEM)).callbacks)
