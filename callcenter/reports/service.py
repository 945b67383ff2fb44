"""Loads exactly what one period's report needs, then hands it to the pure metrics.

A period's numbers depend on two sets of orders: those *received* in it (the intake counts) and
those with *events* in it (dispatches, returns, replies, callbacks, cards and closures of older
orders). Both are selected by SQL on indexed columns plus `order_events.at`, and loaded with their
full history, because the on-time verdict replays the whole order. Call records are selected by
`started_at`. Plain Core SQL, so SQLite and PostgreSQL behave the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.orders import OrderRepository
from callcenter.db.tables import call_records, order_events, orders, units
from callcenter.reports.liaisons import orders_by_liaison
from callcenter.reports.metrics import Report, build_report
from callcenter.reports.periods import SHANGHAI, Period, parse_period
from worksheet.deadlines import Policy
from worksheet.model import WorkOrder

Clock = Callable[[], datetime]


class ReportService:
    def __init__(self, engine: AsyncEngine, policy: Policy, clock: Clock) -> None:
        self.engine = engine
        self.policy = policy
        self.clock = clock
        self.orders = OrderRepository(engine)

    def period(self, kind: str | None, value: str | None) -> Period:
        """Parse a period from query strings; without a date, the one containing today (Asia/Shanghai)."""
        return parse_period(kind, value, self.clock().astimezone(SHANGHAI).date())

    async def report(self, period: Period) -> Report:
        loaded = await self.load_orders(period)
        calls = await self.load_calls(period)
        return build_report(loaded, calls, self.policy, period, generated_at=self.clock().astimezone(SHANGHAI),
                            unit_names=await self.unit_names())

    async def order_numbers(self, period: Period) -> list[str]:
        """Orders received in the period or with an event in it."""
        start, end = period.start, period.end
        active = select(order_events.c.order_number).where(order_events.c.at >= start, order_events.c.at < end)
        received = and_(orders.c.received_at >= start, orders.c.received_at < end)
        query = select(orders.c.number).where(or_(received, orders.c.number.in_(active))).order_by(orders.c.number)
        async with self.engine.connect() as conn:
            return list((await conn.scalars(query)).all())

    async def load_orders(self, period: Period) -> list[WorkOrder]:
        return await self.orders.get_many(await self.order_numbers(period))

    async def load_calls(self, period: Period) -> list[dict[str, Any]]:
        query = (select(call_records.c.record, call_records.c.order_number)
                 .where(call_records.c.started_at >= period.start, call_records.c.started_at < period.end)
                 .order_by(call_records.c.started_at, call_records.c.linkedid))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [{**dict(r.record), "order_number": r.order_number} for r in rows]

    async def liaisons(self, period: Period) -> list[dict[str, Any]]:
        return await orders_by_liaison(self.engine, period)

    async def unit_names(self) -> dict[str, str]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(units.c.code, units.c.name))).all()
        return {r.code: r.name for r in rows}
