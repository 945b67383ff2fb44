"""Orders: the row (indexed columns + JSON snapshot) and its append-only events.

Every write is one transaction: row and events together, guarded by the version
column (optimistic concurrency) and by the events' (order_number, seq) key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from callcenter.db.errors import OrderNotFound, VersionConflict
from callcenter.db.tables import order_counters, order_events, order_units, orders
from worksheet.codec import event_from_dict, event_to_dict, order_from_dict, order_to_dict
from worksheet.model import CardColor, Event, WorkOrder


def _row(order: WorkOrder, now: datetime) -> dict[str, Any]:
    current = [k.color for k in order.cards if k.cycle == order.cycle]
    card = CardColor.RED if CardColor.RED in current else (CardColor.YELLOW if current else None)
    e = order.enterprise
    return {
        "status": order.status.value, "channel": order.channel.value, "category": order.category.value,
        "urgency": order.urgency.value, "preset": order.preset, "lead_unit": order.lead_unit,
        "enterprise_name": e.name, "enterprise_phone": e.phone, "credit_code": e.credit_code,
        "subject": order.subject, "content": order.content, "received_at": order.received_at,
        "updated_at": now, "version": order.version, "card": card.value if card else None,
        "has_cards": bool(order.cards), "snapshot": order_to_dict(order),
    }


def _event_row(number: str, e: Event) -> dict[str, Any]:
    d = event_to_dict(e)
    return {**d, "order_number": number, "at": e.at}


def _units(order: WorkOrder) -> list[dict[str, str]]:
    rows = [{"order_number": order.number, "unit_code": order.lead_unit, "role": "lead"}] if order.lead_unit else []
    return rows + [{"order_number": order.number, "unit_code": u, "role": "co"} for u in order.co_units]


class OrderRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def next_number(self, day: date) -> str:
        key = day.strftime("%Y%m%d")
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(order_counters).values(day=key, last=1)
        stmt = stmt.on_conflict_do_update(index_elements=["day"], set_={"last": order_counters.c.last + 1})
        async with self.engine.begin() as conn:
            n = (await conn.execute(stmt.returning(order_counters.c.last))).scalar_one()
        return f"{key}-{n:04d}"

    async def add(self, order: WorkOrder, events: Sequence[Event]) -> None:
        now = events[-1].at
        async with self.engine.begin() as conn:
            await conn.execute(insert(orders).values(number=order.number, created_at=events[0].at, **_row(order, now)))
            await self._write_children(conn, order, events)

    async def save(self, order: WorkOrder, new_events: Sequence[Event], expected_version: int) -> None:
        if not new_events:
            return
        try:
            async with self.engine.begin() as conn:
                result = await conn.execute(
                    update(orders)
                    .where(orders.c.number == order.number, orders.c.version == expected_version)
                    .values(**_row(order, new_events[-1].at))
                )
                if result.rowcount != 1:
                    raise VersionConflict(order.number, expected_version)
                await conn.execute(delete(order_units).where(order_units.c.order_number == order.number))
                await self._write_children(conn, order, new_events)
        except IntegrityError:
            # Another writer appended the same event seq first.
            raise VersionConflict(order.number, expected_version) from None

    @staticmethod
    async def _write_children(conn: AsyncConnection, order: WorkOrder, events: Sequence[Event]) -> None:
        await conn.execute(insert(order_events), [_event_row(order.number, e) for e in events])
        if units := _units(order):
            await conn.execute(insert(order_units), units)

    async def events(self, number: str) -> list[Event]:
        async with self.engine.connect() as conn:
            return await self._events(conn, number)

    @staticmethod
    async def _events(conn: AsyncConnection, number: str) -> list[Event]:
        rows = await conn.execute(
            select(order_events).where(order_events.c.order_number == number).order_by(order_events.c.seq)
        )
        return [event_from_dict({**r._mapping, "at": r.at.isoformat()}) for r in rows]

    async def get(self, number: str) -> WorkOrder:
        async with self.engine.connect() as conn:
            snapshot = (await conn.execute(select(orders.c.snapshot).where(orders.c.number == number))).scalar()
            if snapshot is None:
                raise OrderNotFound(number)
            return order_from_dict(snapshot, await self._events(conn, number))

    async def get_many(self, numbers: Iterable[str]) -> list[WorkOrder]:
        """Snapshots without history (for lists and sweeps)."""
        wanted = list(numbers)
        if not wanted:
            return []
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(orders.c.snapshot).where(orders.c.number.in_(wanted)))
            return [order_from_dict(r.snapshot) for r in rows]

    async def search(
        self, *, status: list[str] | None = None, unit: str | None = None, category: str | None = None,
        channel: str | None = None, card: str | None = None, text: str | None = None,
        received_from: datetime | None = None, received_to: datetime | None = None,
        limit: int | None = 50, offset: int = 0,
    ) -> tuple[list[WorkOrder], int]:
        where = []
        if status:
            where.append(orders.c.status.in_(status))
        if unit:
            where.append(orders.c.number.in_(select(order_units.c.order_number).where(order_units.c.unit_code == unit)))
        for column, value in ((orders.c.category, category), (orders.c.channel, channel), (orders.c.card, card)):
            if value:
                where.append(column == value)
        if text:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            like = f"%{escaped}%"
            where.append(or_(*(c.like(like, escape="\\") for c in (
                orders.c.subject, orders.c.content, orders.c.enterprise_name, orders.c.number))))
        if received_from:
            where.append(orders.c.received_at >= received_from)
        if received_to:
            where.append(orders.c.received_at < received_to)
        cond = and_(*where) if where else None
        query = select(orders.c.snapshot).order_by(orders.c.received_at.desc(), orders.c.number.desc())
        count = select(func.count()).select_from(orders)
        if cond is not None:
            query, count = query.where(cond), count.where(cond)
        if limit is not None:
            query = query.limit(limit).offset(offset)
        async with self.engine.connect() as conn:
            total = (await conn.execute(count)).scalar_one()
            rows = await conn.execute(query)
            return [order_from_dict(r.snapshot) for r in rows], total

    async def open_orders(self, statuses: list[str]) -> list[WorkOrder]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(orders.c.snapshot).where(orders.c.status.in_(statuses)))
            return [order_from_dict(r.snapshot) for r in rows]

    async def with_cards(self) -> list[WorkOrder]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(orders.c.snapshot).where(orders.c.has_cards.is_(True)))
            return [order_from_dict(r.snapshot) for r in rows]

    async def find_recent(
        self, *, since: datetime, enterprise_name: str | None, phone: str | None, statuses: list[str]
    ) -> list[WorkOrder]:
        party = [c == v for c, v in ((orders.c.enterprise_name, enterprise_name), (orders.c.enterprise_phone, phone)) if v]
        if not party:
            return []
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(orders.c.snapshot)
                .where(orders.c.received_at >= since, orders.c.status.in_(statuses), or_(*party))
                .order_by(orders.c.received_at.desc()).limit(200)
            )
            return [order_from_dict(r.snapshot) for r in rows]
