"""After the last failed survey call, the survey goes by SMS; the reply settles the order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from callcenter.app import Services, build_services
from callcenter.db.migrate import upgrade
from callcenter.orders.services import SYSTEM
from callcenter.settings import Settings
from callcenter.sms.webhooks import InboundSms
from tests.test_callback_jobs import Clock, FakeDialer, waiting_order
from worksheet.callbacks import Outcome
from worksheet.model import Status


@dataclass
class Stack:
    services: Services
    clock: Clock
    dialer: FakeDialer


@pytest.fixture
async def stack(db_url: str) -> AsyncIterator[Stack]:
    await upgrade(db_url)
    clock = Clock()
    services = build_services(Settings(database_url=db_url, sms="log"), clock=clock)
    await services.units.upsert_many([{"code": "jtj", "name": "交通运输局"}])
    dialer = FakeDialer()
    services.callbacks.dialer = dialer
    yield Stack(services, clock, dialer)
    await services.engine.dispose()


async def exhaust_calls(stack: Stack, number: str) -> Any:
    """Dial every allowed attempt; each one is busy."""
    cb = stack.services.callbacks
    for _ in range(cb.policy.max_attempts):
        job = await cb.repo.active_for(number)
        stack.clock.now = max(stack.clock.now, job.due_at)
        report = await cb.run_due(stack.clock.now)
        assert len(report.dialled) == 1
        await cb.on_originate_result(report.dialled[0]["action_id"], 5)  # busy
    return await cb.repo.active_for(number)


def sms(body: str, sid: str, sender: str = "+8613800138000") -> InboundSms:
    return InboundSms(message_sid=sid, sender=sender, recipient="+8610012345", body=body)


async def test_the_sms_survey_goes_out_in_calling_hours_and_a_reply_of_1_closes(stack: Stack) -> None:
    order = await waiting_order(stack.services)
    job = await exhaust_calls(stack, order.number)
    assert job.status == "waiting_sms" and job.attempts == 3
    survey = [m for m in await stack.services.sms.outbox.list() if m.template == "survey"]
    assert len(survey) == 1 and order.number in survey[0].body
    assert stack.services.callbacks.windows.is_open(survey[0].next_attempt_at)
    # A duplicate settle of the last attempt (a late OriginateResponse) queues no second survey.
    await stack.services.callbacks.on_originate_result("act-3", 5)
    assert len([m for m in await stack.services.sms.outbox.list() if m.template == "survey"]) == 1

    result = await stack.services.sms_inbound.receive(sms("1。", "SM1"))
    assert (result.outcome, result.order_number) == ("survey", order.number)
    closed = await stack.services.orders.get(order.number, SYSTEM)
    assert closed.status == Status.CLOSED and closed.callbacks[-1].rating.value == "satisfied"
    assert (await stack.services.callbacks.repo.for_cycle(order.number, order.cycle)).status == "done"
    templates = [m.template for m in await stack.services.sms.outbox.list(order_number=order.number)]
    assert templates.count("order_closed") == 1
    # The same webhook again, and a second "1" afterwards: nothing changes, nothing is drafted.
    again = await stack.services.sms_inbound.receive(sms("1。", "SM1"))
    assert again.duplicate and again.outcome == "survey"
    later = await stack.services.sms_inbound.receive(sms("1", "SM2"))
    assert later.outcome == "stray_rating"


async def test_unsatisfied_by_sms_goes_back_to_the_unit(stack: Stack) -> None:
    order = await waiting_order(stack.services)
    await exhaust_calls(stack, order.number)
    result = await stack.services.sms_inbound.receive(sms("不满意", "SM3", sender="008613800138000"))
    assert result.outcome == "survey"
    back = await stack.services.orders.get(order.number, SYSTEM)
    assert back.status == Status.HANDLING and back.lead_unit == "jtj" and back.unsatisfied_count == 1


async def test_no_answer_by_the_deadline_is_unreachable(stack: Stack) -> None:
    order = await waiting_order(stack.services)
    job = await exhaust_calls(stack, order.number)
    report = await stack.services.callbacks.expire(job.due_at + timedelta(seconds=1))
    assert report.unreachable == [order.number]
    late = await stack.services.sms_inbound.receive(sms("2", "SM4"))
    assert late.outcome == "stray_rating"  # the survey is over; an agent sees the late answer
    assert (await stack.services.orders.get(order.number, SYSTEM)).status == Status.CALLBACK_PENDING


async def test_a_text_that_is_not_a_rating_is_a_supplement_not_a_vote(stack: Stack) -> None:
    order = await waiting_order(stack.services)
    await exhaust_calls(stack, order.number)
    result = await stack.services.sms_inbound.receive(sms("非常不满意，问题根本没解决", "SM5"))
    assert (result.outcome, result.order_number) == ("supplement", order.number)
    job = await stack.services.callbacks.repo.for_cycle(order.number, order.cycle)
    assert job.status == "waiting_sms"
    assert job.last_outcome == Outcome.BUSY.value


async def test_a_message_whose_handling_failed_is_routed_again_later(stack: Stack) -> None:
    inbound = stack.services.sms_inbound
    real = inbound._route
    calls = 0

    async def failing_once(sms_: InboundSms, now: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("database went away")
        return await real(sms_, now)

    inbound._route = failing_once  # type: ignore[method-assign]
    # Stored and acknowledged (Twilio gets its 200); the failed attempt is recorded, to retry later.
    assert (await inbound.receive(sms("华翔路施工，货车出不去", "SM9"))).outcome == "pending"
    assert (await inbound.receive(sms("华翔路施工，货车出不去", "SM9"))).outcome == "pending"  # a redelivery
    assert await inbound.retry_stuck(stack.clock.now) == 0  # too fresh: maybe still being handled
    assert await inbound.retry_stuck(stack.clock.now + timedelta(minutes=3)) == 1
    [row] = await inbound.list()
    assert row["outcome"] == "draft" and row["order_number"]
    assert await inbound.retry_stuck(stack.clock.now + timedelta(minutes=10)) == 0  # settled once
