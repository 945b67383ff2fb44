"""The outbox of status updates for the city (SQL): stored once per event id, claimed atomically,
delivered in order per city order (a later update waits while an earlier one is undelivered)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.claims import claim
from callcenter.db.counting import one_of
from callcenter.db.engine import write_transaction

from .tables import city_outbox
from .updates import CityUpdate

STATUSES = ("pending", "sending", "delivered", "failed")
UNDELIVERED = ("pending", "sending")


@dataclass(frozen=True)
class OutboxRow:
    id: int
    event_id: str
    order_number: str
    city_order_id: str
    kind: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    delivered_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> OutboxRow:
        return cls(**dict(row._mapping))

    def to_json(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in self.__dict__.items()}


class CityOutbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def enqueue(self, updates: Sequence[CityUpdate], now: datetime) -> int:
        """Store updates not stored before (by event id); how many were new."""
        if not updates:
            return 0
        dialect: Any = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(city_outbox).values([dict(
            event_id=u.event_id, order_number=u.order_number, city_order_id=u.city_order_id, kind=u.kind,
            payload=u.payload, status="pending", attempts=0, next_attempt_at=now, created_at=now, updated_at=now,
        ) for u in updates]).on_conflict_do_nothing(index_elements=["event_id"])
        async with write_transaction(self.engine) as conn:
            return len((await conn.execute(stmt.returning(city_outbox.c.id))).all())

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[OutboxRow]:
        t, earlier = city_outbox, city_outbox.alias("earlier")
        async with write_transaction(self.engine) as conn:  # a node that died mid-send: its rows go again
            await conn.execute(update(t).where(t.c.status == "sending", t.c.updated_at <= now - lease)
                               .values(status="pending", updated_at=now))
        waiting = exists().where(earlier.c.city_order_id == t.c.city_order_id, earlier.c.id < t.c.id,
                                 earlier.c.status.in_(UNDELIVERED))
        rows = await claim(self.engine, t, status="pending", due=and_(t.c.next_attempt_at <= now, ~waiting),
                           order_by=(t.c.next_attempt_at, t.c.id), limit=limit,
                           values={"status": "sending", "attempts": t.c.attempts + 1, "updated_at": now})
        return [OutboxRow.from_row(r) for r in rows]

    async def delivered(self, row: OutboxRow, now: datetime) -> None:
        await self._move(row, status="delivered", delivered_at=now, updated_at=now, last_error=None)

    async def retry_at(self, row: OutboxRow, at: datetime, error: str, now: datetime) -> None:
        await self._move(row, status="pending", next_attempt_at=at, updated_at=now, last_error=error[:300])

    async def failed(self, row: OutboxRow, error: str, now: datetime) -> None:
        await self._move(row, status="failed", updated_at=now, last_error=error[:300])

    async def requeue(self, row_id: int, now: datetime) -> OutboxRow | None:
        """A failed update back to pending (a supervisor, after the city fixed its side)."""
        t = city_outbox
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(update(t).where(t.c.id == row_id, t.c.status == "failed").values(
                status="pending", attempts=0, next_attempt_at=now, updated_at=now))
            if not result.rowcount:
                return None
            return OutboxRow.from_row((await conn.execute(select(t).where(t.c.id == row_id))).one())

    async def list(self, *, order_number: str | None = None, status: str | None = None, limit: int = 100,
                   offset: int = 0) -> list[OutboxRow]:
        t = city_outbox
        where = [*([t.c.order_number == order_number] if order_number else []), *one_of(t.c.status, status)]
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t).where(*where).order_by(t.c.id.desc()).limit(limit).offset(offset))
            return [OutboxRow.from_row(r) for r in rows]

    async def _move(self, row: OutboxRow, **values: Any) -> None:
        t = city_outbox
        async with write_transaction(self.engine) as conn:  # only the claim that sent it may settle it
            await conn.execute(update(t).where(t.c.id == row.id, t.c.status == "sending",
                                               t.c.attempts == row.attempts).values(**values))
