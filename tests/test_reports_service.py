"""The report service on SQLite and PostgreSQL: orders built through the real OrderService, numbers
checked against independent SQL counts and by hand, with events around the month's edges."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from domain_helpers import at
from sqlalchemy import func, select

from callcenter.app import Services, build_services
from callcenter.db.migrate import upgrade
from callcenter.db.tables import call_records, order_events, orders
from callcenter.reports.periods import Period, parse_period
from callcenter.reports.service import ReportService
from callcenter.settings import Settings
from worksheet import commands as c
from worksheet.intake import NewOrder
from worksheet.model import Actor, Category, Channel, Enterprise, Rating, Role

AGENT, BOSS = Actor("agent", Role.AGENT), Actor("boss", Role.SUPERVISOR)
ZJJ, JTJ = Actor("h1", Role.UNIT_HANDLER, "zjj"), Actor("h2", Role.UNIT_HANDLER, "jtj")
NOVEMBER = parse_period("month", "2026-11", at("2026-11-01T00:00").date())


@dataclass
class Clock:
    now: datetime = at("2026-09-01T09:00")

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Stack:
    services: Services
    clock: Clock

    async def new(self, when: str, channel: Channel = Channel.PHONE) -> str:
        self.clock.now = at(when)
        spec = NewOrder(channel=channel, category=Category.HELP, enterprise=Enterprise(f"企业{when}"),
                        subject="诉求", content=f"内容 {when}", received_at=at(when))
        return (await self.services.orders.create(spec, AGENT)).number

    async def act(self, number: str, when: str, command: c.Command) -> None:
        self.clock.now = at(when)
        await self.services.orders.act(number, command)


@pytest.fixture
async def stack(db_url: str) -> AsyncIterator[Stack]:
    await upgrade(db_url)
    clock = Clock()
    services = build_services(Settings(database_url=db_url), clock=clock)
    await services.units.upsert_many([{"code": "zjj", "name": "区住建局"}, {"code": "jtj", "name": "区交通运输局"}])
    yield Stack(services, clock)
    await services.engine.dispose()


async def serve(s: Stack, n: str, times: tuple[str, str, str, str], unit: Actor) -> None:
    dispatch, reply, check, callback = times
    await s.act(n, dispatch, c.Dispatch(actor=AGENT, lead_unit=unit.unit or ""))
    await s.act(n, dispatch, c.Accept(actor=unit))
    await s.act(n, reply, c.Reply(actor=unit, content="已办理"))
    await s.act(n, check, c.Check(actor=BOSS, passed=True))
    await s.act(n, callback, c.RecordCallback(actor=AGENT, rating=Rating.SATISFIED))


async def scenario(s: Stack) -> dict[str, str]:
    september = await s.new("2026-09-10T09:00")  # entirely before November: not loaded
    await serve(s, september, ("2026-09-10T10:00", "2026-09-11T10:00", "2026-09-11T11:00", "2026-09-12T10:00"),
                ZJJ)
    october = await s.new("2026-10-20T09:00")  # received in October, due 10-29, replied 11-02: late
    await serve(s, october, ("2026-10-20T10:00", "2026-11-02T10:00", "2026-11-02T11:00", "2026-11-03T10:00"), ZJJ)
    returned = await s.new("2026-11-02T09:00", Channel.SMS)  # jtj returns it; zjj replies on time
    await s.act(returned, "2026-11-02T10:00", c.Dispatch(actor=AGENT, lead_unit="jtj"))
    await s.act(returned, "2026-11-02T15:00", c.Return(actor=JTJ, reason="非本单位职责", basis="三定方案"))
    await s.act(returned, "2026-11-03T09:00", c.Redispatch(actor=AGENT, lead_unit="zjj"))
    await s.act(returned, "2026-11-03T09:00", c.Accept(actor=ZJJ))
    await s.act(returned, "2026-11-05T10:00", c.Reply(actor=ZJJ, content="已办理"))
    await s.act(returned, "2026-11-05T11:00", c.Check(actor=BOSS, passed=True))
    await s.act(returned, "2026-11-06T10:00", c.RecordCallback(actor=AGENT, rating=Rating.SATISFIED))
    late_night = await s.new("2026-11-30T23:30")  # received in November, dispatched in December
    await s.act(late_night, "2026-12-01T00:10", c.Dispatch(actor=AGENT, lead_unit="jtj"))
    december = await s.new("2026-12-02T09:00")
    await s.services.calls.repo.upsert([
        _call("c1", "2026-10-31T16:30:00Z", agent="Agent One"),  # 11-01 00:30 in Shanghai: in November
        _call("c2", "2026-11-15T02:00:00Z", queue=False),  # busy: offered, not answered
        _call("c3", "2026-11-30T16:30:00Z", agent="Agent Two"),  # 12-01 00:30 in Shanghai: December
    ], s.clock())
    return {"september": september, "october": october, "returned": returned, "late_night": late_night,
            "december": december}


def _call(linkedid: str, started: str, *, agent: str | None = None, queue: bool = True) -> dict[str, Any]:
    return {"linkedid": linkedid, "caller": "13800138000", "started_at": started, "ended_at": started,
            "answered_at": started if queue else None, "disposition": "ANSWERED" if queue else "BUSY",
            "originate": None, "fax": None, "ivr_path": ["queue-in"] if queue else [],
            "queue": {"name": "hotline-q", "agent": agent, "abandoned": False, "wait_s": 3} if queue else None}


async def sql_count(s: Stack, query: Any) -> int:
    async with s.services.engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


def in_period(column: Any, period: Period) -> Any:
    return (column >= period.start) & (column < period.end)


async def test_report_numbers_match_independent_counts(stack: Stack) -> None:
    numbers = await scenario(stack)
    service = ReportService(stack.services.engine, stack.services.policy, stack.clock)
    assert await service.order_numbers(NOVEMBER) == sorted([numbers["october"], numbers["returned"],
                                                            numbers["late_night"]])
    data = (await service.report(NOVEMBER)).to_json()
    rates = data["rates"]

    received = await sql_count(stack, select(func.count()).select_from(orders).where(
        in_period(orders.c.received_at, NOVEMBER), orders.c.status.notin_(["draft", "merged"])))
    assert data["received"]["total"] == received == 2
    dispatches = await sql_count(stack, select(func.count()).select_from(order_events).where(
        in_period(order_events.c.at, NOVEMBER), order_events.c.type.in_(["dispatch", "redispatch"])))
    assert rates["return_rate"]["denominator"] == dispatches == 2  # not the 12-01 00:10 dispatch
    assert rates["return_rate"]["numerator"] == 1 and rates["return_rate"]["value"] == 0.5
    ratings = await sql_count(stack, select(func.count()).select_from(order_events).where(
        in_period(order_events.c.at, NOVEMBER), order_events.c.type == "callback-result"))
    assert (rates["satisfaction_rate"]["numerator"], rates["satisfaction_rate"]["denominator"]) == (2, ratings)
    assert ratings == 2
    # Closed in November: october (late: due 10-29, replied 11-02) and returned (on time).
    assert (rates["on_time_rate"]["numerator"], rates["on_time_rate"]["denominator"]) == (1, 2)
    calls = await sql_count(stack, select(func.count()).select_from(call_records).where(
        in_period(call_records.c.started_at, NOVEMBER)))
    assert calls == 2 and (rates["answer_rate"]["numerator"], rates["answer_rate"]["denominator"]) == (1, 2)

    ranking = {u["unit"]: u for u in data["ranking"]["units"]}
    assert [u["unit"] for u in data["ranking"]["units"]] == ["zjj", "jtj"]
    assert (ranking["zjj"]["name"], ranking["zjj"]["dispatched"], ranking["zjj"]["replied"]) == ("区住建局", 1, 2)
    assert (ranking["zjj"]["judged"], ranking["zjj"]["on_time"]) == (2, 1)
    assert (ranking["jtj"]["dispatched"], ranking["jtj"]["returned"], ranking["jtj"]["score"]) == (1, 1, 0.0)


async def test_a_day_and_a_quarter_cut_the_same_data(stack: Stack) -> None:
    numbers = await scenario(stack)
    service = ReportService(stack.services.engine, stack.services.policy, stack.clock)
    day = (await service.report(service.period("day", "2026-12-01"))).to_json()
    assert day["rates"]["return_rate"]["denominator"] == 1  # the 00:10 dispatch
    assert day["rates"]["answer_rate"] == {**day["rates"]["answer_rate"], "numerator": 1, "denominator": 1}
    q4 = await service.report(service.period("quarter", "2026-Q4"))
    assert q4.received.total == 4  # october, returned, late_night, december
    assert numbers["september"] not in await service.order_numbers(q4.period)
