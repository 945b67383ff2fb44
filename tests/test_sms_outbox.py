"""SMS confirmations: order events → the outbox → the real twilio client → a local fake Twilio."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.app import Services, build_services
from callcenter.db.migrate import upgrade
from callcenter.settings import Settings
from callcenter.sms.outbox import OutboxMessage
from callcenter.sms.port import OutboundSms
from callcenter.sms.services import SmsService
from callcenter.sms.twilio_adapter import TwilioSms
from callcenter.sms.webhooks import DeliveryStatus
from tests.api_helpers import FakeClock
from tests.fake_twilio import FakeTwilio
from worksheet import commands as c
from worksheet.intake import NewOrder
from worksheet.model import Actor, Category, Channel, Enterprise, Rating, Role, Status

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
PHONE = "13800138000"
E164 = "+8613800138000"
AGENT, BOSS = Actor("agent", Role.AGENT), Actor("boss", Role.SUPERVISOR)
UNIT = Actor("h", Role.UNIT_HANDLER, "jtj")


@dataclass
class Stack:
    services: Services
    clock: FakeClock
    fake: FakeTwilio

    @property
    def sms(self) -> SmsService:
        return self.services.sms

    async def queued(self, **filters: Any) -> list[OutboxMessage]:
        return list(reversed(await self.sms.outbox.list(**filters)))


def twilio_settings(db_url: str, fake: FakeTwilio, **more: Any) -> Settings:
    return Settings(database_url=db_url, sms="twilio", twilio_account_sid=fake.account_sid,
                    twilio_auth_token=fake.auth_token, twilio_from="+15005550006", twilio_api_base=fake.base_url,
                    **more)


@pytest.fixture
async def stack(db_url: str) -> AsyncIterator[Stack]:
    await upgrade(db_url)
    async with FakeTwilio() as fake:
        clock = FakeClock(NOW)
        services = build_services(twilio_settings(db_url, fake), clock=clock)
        await services.units.upsert_many([{"code": "jtj", "name": "交通运输局"}])
        yield Stack(services, clock, fake)
        await services.engine.dispose()


def spec(phone: str = PHONE, *, draft: bool = False) -> NewOrder:
    return NewOrder(channel=Channel.PHONE, category=Category.HELP,
                    enterprise=Enterprise(name="绵阳华翔物流有限公司", phone=phone), subject="道路施工影响货物运输",
                    content="华翔路施工，货物无法运出。", received_at=NOW, draft=draft)


async def to_callback(services: Services, number: str) -> None:
    await services.orders.act(number, c.Dispatch(actor=AGENT, lead_unit="jtj"))
    await services.orders.act(number, c.Accept(actor=UNIT))
    await services.orders.act(number, c.Reply(actor=UNIT, content="已协调解决"))
    order = await services.orders.act(number, c.Check(actor=BOSS, passed=True))
    assert order.status == Status.CALLBACK_PENDING


# --- triggers -------------------------------------------------------------------------------


async def test_a_registered_order_queues_one_acceptance_with_its_number_and_answer_date(stack: Stack) -> None:
    order = await stack.services.orders.create(spec(), AGENT)
    [message] = await stack.queued()
    assert message.template == "order_accepted" and message.to_phone == E164
    assert message.params["order_no"] == order.number
    # yicheng-2021's default handling limit from Monday 23 Nov: a date in the future, in Chinese.
    assert message.params["due_date"].startswith("2026年") and message.params["due_date"] > "2026年11月23日"
    assert order.number in message.body and message.params["due_date"] in message.body
    # The same event seen again (a retry, the reconcile pass) queues nothing more.
    await stack.services.orders._notify(order, "again", True)
    assert len(await stack.queued()) == 1


async def test_a_draft_is_confirmed_before_the_caller_hears_of_it(stack: Stack) -> None:
    draft = await stack.services.orders.create(spec(draft=True), Actor("system", Role.SYSTEM))
    assert await stack.queued() == []
    await stack.services.orders.act(draft.number, c.Confirm(actor=AGENT))
    assert [m.template for m in await stack.queued()] == ["order_accepted"]


async def test_landlines_get_no_sms(stack: Stack) -> None:
    await stack.services.orders.create(spec("028-88886666"), AGENT)
    assert await stack.queued() == []


async def test_replied_then_closed(stack: Stack) -> None:
    number = (await stack.services.orders.create(spec(), AGENT)).number
    await to_callback(stack.services, number)
    await stack.services.orders.act(number, c.RecordCallback(actor=AGENT, rating=Rating.SATISFIED))
    assert [m.template for m in await stack.queued()] == ["order_accepted", "order_replied", "order_closed"]
    keys = [m.idempotency_key for m in await stack.queued()]
    assert len(set(keys)) == 3 and all(k.startswith(number) for k in keys)


# --- sending --------------------------------------------------------------------------------


async def test_sent_through_twilio_then_delivered(stack: Stack) -> None:
    await stack.services.orders.create(spec(), AGENT)
    report = await stack.sms.run_due()
    assert report.sent == 1
    [form] = stack.fake.messages
    assert form["To"] == E164 and "已受理" in form["Body"]
    [message] = await stack.queued()
    assert message.status == "sent" and message.provider == "twilio" and message.provider_id.startswith("SM")
    assert (await stack.sms.run_due()).sent == 0  # nothing is sent twice
    await stack.sms.on_status(DeliveryStatus(message.provider_id, "delivered", None))
    await stack.sms.on_status(DeliveryStatus(message.provider_id, "sent", None))  # late and out of order
    [message] = await stack.queued()
    assert message.status == "delivered" and message.final_at is not None
    assert len(stack.fake.messages) == 1


async def test_a_status_that_beats_our_own_write_is_applied(stack: Stack) -> None:
    await stack.services.orders.create(spec(), AGENT)
    [claimed] = await stack.sms.outbox.claim_due(NOW, 10)
    await stack.sms.on_status(DeliveryStatus("SMearly", "undelivered", "30003"))  # before mark_sent
    done = await stack.sms.outbox.mark_sent(claimed, "twilio", "SMearly", NOW)
    assert done is not None and done.status == "undelivered" and done.error_code == "30003"


async def test_provider_errors_are_retried_with_backoff_and_sent_once(stack: Stack) -> None:
    await stack.services.orders.create(spec(), AGENT)
    stack.fake.fail_next(1)
    report = await stack.sms.run_due()
    assert report.retrying == 1 and report.sent == 0
    [message] = await stack.queued()
    assert message.status == "pending" and message.next_attempt_at == NOW + timedelta(minutes=1)
    assert message.error_id == "sms-unavailable"
    assert (await stack.sms.run_due(NOW + timedelta(seconds=30))).sent == 0  # not yet
    assert (await stack.sms.run_due(NOW + timedelta(minutes=1))).sent == 1
    assert stack.fake.requests == 2 and len(stack.fake.messages) == 1


async def test_a_refused_number_is_not_retried(stack: Stack) -> None:
    stack.fake.reject_number(E164)
    await stack.services.orders.create(spec(), AGENT)
    report = await stack.sms.run_due()
    assert [f["status"] for f in report.failed] == ["rejected"] and report.failed[0]["provider_code"] == "21211"
    assert (await stack.sms.run_due(NOW + timedelta(hours=5))).sent == 0
    assert stack.fake.requests == 1


async def test_gives_up_after_the_last_attempt(stack: Stack) -> None:
    await stack.services.orders.create(spec(), AGENT)
    stack.fake.fail_next(100)
    at = NOW
    for _ in range(stack.sms.limits.max_attempts):
        await stack.sms.run_due(at)
        at += timedelta(hours=4)
    [message] = await stack.queued()
    assert message.status == "failed" and message.attempts == stack.sms.limits.max_attempts
    assert stack.fake.requests == stack.sms.limits.max_attempts


async def test_no_answer_from_the_provider_is_never_resent(db_url: str) -> None:
    await upgrade(db_url)
    async with FakeTwilio() as fake:
        services = build_services(twilio_settings(db_url, fake), clock=FakeClock(NOW))
        services.sms.provider = TwilioSms(fake.account_sid, fake.auth_token, "+15005550006",
                                          base_url=fake.base_url, timeout=0.5)
        await services.orders.create(spec(), AGENT)
        fake.hang_next(1)
        report = await services.sms.run_due()
        assert report.failed[0]["status"] == "unknown"
        assert (await services.sms.run_due(NOW + timedelta(days=1))).sent == 0
        assert fake.requests == 1
        await services.engine.dispose()


async def test_a_claim_left_by_a_dead_node_becomes_unknown_not_a_second_message(stack: Stack) -> None:
    await stack.services.orders.create(spec(), AGENT)
    await stack.sms.outbox.claim_due(NOW, 10)  # the node dies here
    report = await stack.sms.run_due(NOW + timedelta(minutes=11))
    assert report.sent == 0 and stack.fake.requests == 0
    [message] = await stack.queued()
    assert message.status == "unknown" and message.error_id == "sms-outcome-unknown"


async def test_per_number_limit_defers_instead_of_dropping(stack: Stack) -> None:
    outbox = stack.sms.outbox
    for i in range(7):
        sms = OutboundSms(to=E164, template="order_closed", params={"order_no": f"X{i}"}, text=f"工单X{i}已办结",
                          idempotency_key=f"k{i}")
        await outbox.enqueue(sms, NOW)
    report = await stack.sms.run_due()
    assert report.sent == 5 and report.deferred == 2
    deferred = [m for m in await stack.queued() if m.status == "pending"]
    assert {m.next_attempt_at for m in deferred} == {NOW + timedelta(hours=1)}
    assert all(m.attempts == 0 for m in deferred)  # a deferral spends no attempt
    assert (await stack.sms.run_due(NOW + timedelta(minutes=59))).sent == 0
    assert (await stack.sms.run_due(NOW + timedelta(hours=1, seconds=1))).sent == 2
    assert len(stack.fake.messages) == 7


async def test_two_senders_never_send_one_message_twice(stack: Stack) -> None:
    for i in range(30):
        sms = OutboundSms(to=f"+86139{i:08d}", template="order_closed", params={"order_no": f"N{i}"},
                          text=f"工单N{i}已办结", idempotency_key=f"n{i}")
        await stack.sms.outbox.enqueue(sms, NOW)
    other = SmsService(stack.sms.outbox, stack.sms.provider, stack.clock, batch=3)
    stack.sms.batch = 3
    reports = await asyncio.gather(stack.sms.run_due(), other.run_due())
    assert sum(r.sent for r in reports) == 30
    assert sorted(m["To"] for m in stack.fake.messages) == sorted(f"+86139{i:08d}" for i in range(30))


async def test_logs_show_neither_the_number_nor_the_text(stack: Stack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="callcenter")
    stack.fake.fail_next(1)
    order = await stack.services.orders.create(spec(), AGENT)
    await stack.sms.run_due()
    await stack.sms.run_due(NOW + timedelta(minutes=1))
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("callcenter"))
    assert "138****8000" in ours and "retry" in ours
    assert PHONE not in ours and E164 not in ours and "已受理" not in ours
    assert order.number in ours  # the order is named, so an operator can find the message


async def test_reconcile_queues_what_a_crash_lost_and_nothing_twice(stack: Stack) -> None:
    orders = stack.services.orders
    orders.observers.remove(stack.services.sms_triggers.on_order_changed)  # the node "dies" before queueing
    order = await orders.create(spec(), AGENT)
    await to_callback(stack.services, order.number)
    assert await stack.queued() == []
    await stack.services.sms_triggers.reconcile(orders.orders, NOW - timedelta(hours=2))
    await stack.services.sms_triggers.reconcile(orders.orders, NOW - timedelta(hours=2))
    assert [m.template for m in await stack.queued()] == ["order_accepted", "order_replied"]
    await stack.services.sms_triggers.reconcile(orders.orders, NOW + timedelta(minutes=1))  # nothing that recent
    assert len(await stack.queued()) == 2


async def test_a_message_that_could_not_go_out_for_days_is_cancelled_not_sent_late(stack: Stack) -> None:
    provider, stack.sms.provider = stack.sms.provider, None  # SMS switched off
    await stack.services.orders.create(spec(), AGENT)
    assert (await stack.sms.run_due()).sent == 0
    stack.sms.provider = provider  # switched on four days later
    report = await stack.sms.run_due(NOW + timedelta(days=4))
    assert report.sent == 0 and report.failed[0]["error_id"] == "sms-expired"
    [message] = await stack.queued()
    assert message.status == "cancelled" and stack.fake.requests == 0


async def test_concurrent_confirmations_are_all_stored_once_each(stack: Stack) -> None:
    """Many new orders at once (their confirmations share commits on SQLite): every message is stored,
    a key queued twice in the same moment is created once, and each caller gets its own row."""
    outbox = stack.sms.outbox
    sms = [OutboundSms(to=E164, template="order_accepted", params={"order_no": f"n{i % 30}"}, text=f"第{i % 30}条",
                       idempotency_key=f"k{i % 30}") for i in range(60)]
    results = await asyncio.gather(*(outbox.enqueue(s, NOW, order_number=f"n{i % 30}") for i, s in enumerate(sms)))
    assert sum(created for _, created in results) == 30
    assert all(m.idempotency_key == s.idempotency_key and m.body == s.text for (m, _), s in zip(results, sms, strict=True))
    assert len({m.id for m, _ in results}) == 30
    assert len(await stack.queued()) == 30
