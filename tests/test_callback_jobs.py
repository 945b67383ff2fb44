"""The durable satisfaction-callback (回访) jobs and their scheduler, on both databases."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect, select

from callcenter.app import build_services
from callcenter.callbacks.cli import add_callbacks_arguments, callbacks_command
from callcenter.callbacks.jobs import CallbackJobRepository
from callcenter.callbacks.services import CallbackService
from callcenter.callbacks.table import callback_jobs
from callcenter.db.migrate import upgrade
from callcenter.orders.services import SYSTEM
from callcenter.settings import Settings
from worksheet import commands as c
from worksheet.callbacks import CallingWindows, RetryPolicy
from worksheet.intake import NewOrder
from worksheet.model import Actor, Category, Channel, Enterprise, Role, Status

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)  # a Monday, inside the 09:00–12:00 window
PHONE = "13800138000"


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FakeDialer:
    """Records each originate; raises while `fail` is set."""

    calls: list[dict[str, str]] = field(default_factory=list)
    fail: bool = False

    async def originate(self, *, order_number: str, phone: str, channel_id: str) -> str:
        if self.fail:
            raise ConnectionError("AMI link down")
        self.calls.append({"order_number": order_number, "phone": phone, "channel_id": channel_id})
        return f"act-{len(self.calls)}"


@dataclass
class Stack:
    services: Any
    clock: Clock
    dialer: FakeDialer
    callbacks: CallbackService
    repo: CallbackJobRepository


@pytest.fixture
async def stack(db_url: str) -> AsyncIterator[Stack]:
    await upgrade(db_url)
    clock = Clock()
    services = build_services(Settings(database_url=db_url), clock=clock)
    await services.units.upsert_many([{"code": "jtj", "name": "交通运输局"}])
    repo = CallbackJobRepository(services.engine)
    dialer = FakeDialer()
    windows = CallingWindows(services.policy.calendar)
    svc = CallbackService(repo, services.orders, clock, windows, RetryPolicy(), dialer)
    yield Stack(services, clock, dialer, svc, repo)
    await services.engine.dispose()


async def waiting_order(services: Any) -> Any:
    spec = NewOrder(channel=Channel.PHONE, category=Category.HELP,
                    enterprise=Enterprise(name="绵阳华翔物流有限公司", phone=PHONE),
                    subject="道路施工影响货物运输", content="华翔路施工，货物无法运出。", received_at=NOW)
    agent, unit = Actor("agent", Role.AGENT), Actor("h", Role.UNIT_HANDLER, "jtj")
    n = (await services.orders.create(spec, agent)).number
    await services.orders.act(n, c.Dispatch(actor=agent, lead_unit="jtj"))
    await services.orders.act(n, c.Accept(actor=unit))
    await services.orders.act(n, c.Reply(actor=unit, content="已协调解决"))
    order = await services.orders.act(n, c.Check(actor=Actor("boss", Role.SUPERVISOR), passed=True))
    assert order.status == Status.CALLBACK_PENDING
    return order


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


# --- the store ---------------------------------------------------------------------------


async def test_migration_creates_the_table_as_defined(stack: Stack) -> None:
    def schema(sync: Any) -> tuple[set[str], set[str]]:
        insp = inspect(sync)
        return {col["name"] for col in insp.get_columns("callback_jobs")}, {
            i["name"] for i in insp.get_indexes("callback_jobs") if "duplicates_constraint" not in i}

    async with stack.services.engine.connect() as conn:
        columns, indexes = await conn.run_sync(schema)
    assert columns == {col.name for col in callback_jobs.columns}
    assert indexes == {i.name for i in callback_jobs.indexes}


async def test_schedule_is_idempotent_per_cycle(stack: Stack) -> None:
    repo = stack.repo
    first = await repo.schedule("20261123-0001", 1, PHONE, at("2026-11-23T14:00"), NOW)
    again = await repo.schedule("20261123-0001", 1, "13900000000", at("2026-11-24T09:00"), NOW + timedelta(hours=1))
    assert again == first and again.phone == PHONE and again.due_at == at("2026-11-23T14:00")
    redo = await repo.schedule("20261123-0001", 2, PHONE, at("2026-11-25T09:00"), NOW)
    assert redo.id != first.id
    assert [j.cycle for j in await repo.list()] == [1, 2]
    assert [j.cycle for j in await repo.list("scheduled")] == [1, 2] and await repo.list("done") == []


async def test_claim_counts_the_attempt_and_never_hands_a_job_out_twice(stack: Stack) -> None:
    repo = stack.repo
    for i in range(6):
        await repo.schedule(f"20261123-000{i}", 1, PHONE, NOW - timedelta(minutes=i), NOW)
    await repo.schedule("20261123-0099", 1, PHONE, NOW + timedelta(minutes=1), NOW)  # not due yet
    a, b = await asyncio.gather(repo.claim_due(NOW, 4), repo.claim_due(NOW, 4))
    ids = [j.id for j in a + b]
    assert len(ids) == 6 and len(set(ids)) == 6
    assert all(j.status == "dialling" and j.attempts == 1 and j.dialled_at == NOW for j in a + b)
    assert await repo.claim_due(NOW, 10) == []
    assert [j.order_number for j in await repo.claim_due(NOW + timedelta(minutes=1), 10)] == ["20261123-0099"]


async def test_a_row_locked_by_another_node_is_skipped_not_waited_for(stack: Stack, db_url: str) -> None:
    repo = stack.repo
    held = await repo.schedule("20261123-0001", 1, PHONE, NOW, NOW)
    free = await repo.schedule("20261123-0002", 1, PHONE, NOW, NOW)
    if not db_url.startswith("postgresql"):
        # SQLite has one writer at a time: a second claimer waits, then takes only what is left.
        first, second = await asyncio.gather(repo.claim_due(NOW, 1), repo.claim_due(NOW, 10))
        assert sorted(j.id for j in first + second) == sorted([held.id, free.id])
        return
    async with stack.services.engine.begin() as other_node:
        t = callback_jobs
        await other_node.execute(select(t.c.id).where(t.c.id == held.id).with_for_update())
        claimed = await asyncio.wait_for(repo.claim_due(NOW, 10), timeout=5)
        assert [j.id for j in claimed] == [free.id]


# --- the scheduler -------------------------------------------------------------------------


async def test_busy_is_retried_at_the_next_window_time(stack: Stack) -> None:
    order = await waiting_order(stack.services)
    job = await stack.callbacks.schedule_for(order)
    assert job is not None and job.due_at == NOW and job.cycle == order.cycle
    assert await stack.callbacks.schedule_for(order) == job  # the same cycle: no second survey
    stack.clock.now = at("2026-11-23T11:55")
    report = await stack.callbacks.run_due()
    assert report.claimed == 1 and stack.dialer.calls[0]["phone"] == PHONE
    job = await stack.repo.get(job.id)
    assert job is not None and job.status == "dialling" and job.action_id == "act-1" and job.attempts == 1
    assert job.channel_id == stack.dialer.calls[0]["channel_id"]
    retried = await stack.callbacks.on_originate_result("act-1", "5")  # busy; 12:05 is lunch → 14:00
    assert retried is not None and retried.status == "scheduled" and retried.last_outcome == "busy"
    assert retried.due_at == at("2026-11-23T14:00") and retried.attempts == 1
    assert await stack.callbacks.on_originate_result("act-1", "5") is None  # a duplicate changes nothing
    assert (await stack.callbacks.run_due(at("2026-11-23T13:59"))).claimed == 0  # closed window, not due


async def test_a_response_racing_the_dial_record_is_settled_exactly_once(stack: Stack) -> None:
    """OriginateResponse looked the job up just before the dial was recorded, and `_dial` checked
    for early responses just before this one was parked: neither may drop it."""
    order = await waiting_order(stack.services)
    await stack.callbacks.schedule_for(order)
    gate = asyncio.Event()
    real_by_action = stack.repo.by_action
    calls = 0

    async def stale_first_lookup(action_id: str) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            await gate.wait()
            return None  # what it read before the dial's record was committed
        return await real_by_action(action_id)

    stack.repo.by_action = stale_first_lookup  # type: ignore[method-assign]
    response = asyncio.create_task(stack.callbacks.on_originate_result("act-1", "5"))
    await asyncio.sleep(0)
    assert (await stack.callbacks.run_due()).claimed == 1  # recorded; nothing parked yet
    gate.set()
    settled = await response
    assert settled is not None and settled.status == "scheduled" and settled.last_outcome == "busy"
    assert await stack.callbacks.on_originate_result("act-1", "5") is None


async def test_three_failed_dials_fall_back_to_sms_then_unreachable(stack: Stack) -> None:
    order = await waiting_order(stack.services)
    job = await stack.callbacks.schedule_for(order)
    assert job is not None
    stack.dialer.fail = True
    for attempt in (1, 2, 3):
        current = await stack.repo.get(job.id)
        assert current is not None and current.status == "scheduled"
        report = await stack.callbacks.run_due(current.due_at)
        assert report.claimed == 1 and report.failed[0]["error"] == "AMI link down"
        current = await stack.repo.get(job.id)
        assert current is not None and current.attempts == attempt and current.last_outcome == "failed"
    assert current.status == "waiting_sms" and current.due_at > current.updated_at
    assert (await stack.callbacks.expire(current.due_at - timedelta(seconds=1))).unreachable == []
    assert (await stack.callbacks.expire(current.due_at)).unreachable == [order.number]
    final = await stack.repo.get(job.id)
    assert final is not None and final.status == "unreachable" and final.attempts == 3


async def test_an_answered_survey_with_a_rating_is_done(stack: Stack) -> None:
    order = await waiting_order(stack.services)
    job = await stack.callbacks.schedule_for(order)
    await stack.callbacks.run_due()
    answered = await stack.callbacks.on_originate_result("act-1", 4)
    assert answered is not None and answered.status == "dialling" and answered.last_outcome == "answered"
    assert (await stack.callbacks.expire(NOW + timedelta(minutes=5))).timed_out == []  # the survey is running
    done = await stack.callbacks.on_survey_result(order.number, "satisfied")
    assert done is not None and done.id == job.id and done.status == "done" and done.result == "satisfied"
    assert await stack.callbacks.on_survey_result(order.number, "unsatisfied") is None


async def test_no_input_is_retried_and_an_sms_answer_also_counts(stack: Stack) -> None:
    order = await waiting_order(stack.services)
    job = await stack.callbacks.schedule_for(order)
    await stack.callbacks.run_due()
    await stack.callbacks.on_originate_result("act-1", 4)
    again = await stack.callbacks.on_survey_result(order.number, None)
    assert again is not None and again.status == "scheduled" and again.last_outcome == "answered_no_input"
    assert again.due_at == NOW + timedelta(hours=1)
    await stack.repo.finish(again, "busy", NOW, policy=stack.callbacks.policy, windows=stack.callbacks.windows)
    claimed = await stack.repo.claim_due(again.due_at, 1)
    sms = await stack.repo.finish(claimed[0], "no_answer", again.due_at, policy=stack.callbacks.policy,
                                  windows=stack.callbacks.windows)
    assert sms is not None and sms.status == "scheduled" and sms.attempts == 2
    (third,) = await stack.repo.claim_due(sms.due_at, 1)
    sms = await stack.repo.finish(third, "congestion", sms.due_at, policy=stack.callbacks.policy,
                                  windows=stack.callbacks.windows)
    assert sms is not None and sms.status == "waiting_sms"
    assert await stack.callbacks.on_survey_result(order.number, None) is None  # an SMS reply without a rating
    done = await stack.callbacks.on_survey_result(order.number, "basically_satisfied")
    assert done is not None and done.id == job.id and done.status == "done"


async def test_a_dial_without_originate_response_times_out(stack: Stack) -> None:
    order = await waiting_order(stack.services)
    job = await stack.callbacks.schedule_for(order)
    await stack.callbacks.run_due()
    assert await stack.repo.stale_dials(NOW + timedelta(seconds=89), timedelta(seconds=90)) == []
    report = await stack.callbacks.expire(NOW + timedelta(seconds=90))
    assert report.timed_out == [{"order_number": order.number, "outcome": "timeout", "status": "scheduled"}]
    job = await stack.repo.get(job.id)
    assert job is not None and job.last_outcome == "timeout" and job.due_at == NOW + timedelta(minutes=15, seconds=90)
    assert await stack.callbacks.on_originate_result("act-1", 4) is None  # too late: that attempt is settled


async def test_an_order_no_longer_waiting_is_cancelled_not_dialled(stack: Stack) -> None:
    order = await waiting_order(stack.services)
    await stack.callbacks.schedule_for(order)
    await stack.services.orders.act(order.number, c.RecordCallback(actor=SYSTEM, rating="satisfied"))
    report = await stack.callbacks.run_due()
    assert report.cancelled == [order.number] and stack.dialer.calls == []
    assert [j.status for j in await stack.repo.list()] == ["cancelled"]


async def test_cli_lists_jobs_and_runs_due(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    order = await waiting_order(stack.services)
    await stack.callbacks.schedule_for(order)
    parser = argparse.ArgumentParser()
    add_callbacks_arguments(parser)
    assert await callbacks_command(parser.parse_args(["run-due", "--at", "2026-11-23T10:30"]), stack.callbacks) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[1]["run"]["claimed"] == 1
    assert await callbacks_command(parser.parse_args(["list", "--status", "dialling"]), stack.services) == 0
    (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["order_number"] == order.number and row["attempts"] == 1 and row["due_at"] == NOW.isoformat()
    assert await callbacks_command(parser.parse_args(["run-due", "--at", "2026-11-23T10:30"]),
                                   stack.services.engine) == 2
