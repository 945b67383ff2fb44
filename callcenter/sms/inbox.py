"""The inbound SMS table: one row per provider message id, and its retry bookkeeping.

A row's `outcome` is NULL until it is routed (or while a failed attempt waits for its retry at
`next_attempt_at`), "processing" while a node holds it, the result once settled, and "dead_letter"
when its attempts ran out: then a supervisor sees it (with `last_error`) and may send it back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.counting import count_rows
from callcenter.db.engine import write_transaction
from callcenter.db.errors import OrderNotFound
from callcenter.db.tables import sms_inbound as t
from worksheet.errors import WorksheetError

from .privacy import mask_phone
from .webhooks import InboundSms

STUCK_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 8  # with the delays below, about an hour of attempts before a person looks
FIRST_RETRY = timedelta(seconds=30)
MAX_RETRY = timedelta(hours=1)
PROCESSING_LEASE = timedelta(minutes=10)  # a claim older than this was held by a node that died
PROCESSING = "processing"
DEAD_LETTER = "dead_letter"
OUTCOMES = ("survey", "supplement", "draft", "stray_rating", "survey_rejected", "ignored", "pending", DEAD_LETTER)
_DIGITS = re.compile(r"\d{5,}")


@dataclass(frozen=True)
class InboundResult:
    outcome: str  # one of OUTCOMES
    order_number: str | None
    duplicate: bool = False
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "order_number": self.order_number, "duplicate": self.duplicate,
                "detail": self.detail}


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, … at most an hour."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), MAX_RETRY)


def describe_error(exc: BaseException) -> str:
    """What went wrong, fit for the log and a supervisor: the exception's class, and the message
    only of our own errors (a database error's message quotes the statement's values: the text
    and the number); digit runs are masked all the same."""
    text = type(exc).__name__
    if isinstance(exc, WorksheetError | OrderNotFound):
        text += f": {exc}"
    return _DIGITS.sub(lambda m: mask_phone(m.group()), text)[:300]


class Inbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def store(self, sms: InboundSms, now: datetime, note: str) -> tuple[int | None, InboundResult | None]:
        """(the new row's id, None), or (None, what became of it) when the message was stored before."""
        dialect: Any = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(t).values(message_sid=sms.message_sid[:64], sender=sms.sender[:32],
                                        recipient=sms.recipient[:32], body=sms.body, received_at=now,
                                        note=note[:200] or None,
                                        ).on_conflict_do_nothing(index_elements=["message_sid"])
        async with write_transaction(self.engine) as conn:
            created = (await conn.execute(stmt)).rowcount == 1
            row = (await conn.execute(select(t).where(t.c.message_sid == sms.message_sid[:64]))).one()
        if created:
            return row.id, None
        pending = row.outcome in (None, PROCESSING)
        return None, InboundResult("pending" if pending else row.outcome, row.order_number, duplicate=True)

    async def settle(self, row_id: int, result: InboundResult) -> None:
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(t).where(t.c.id == row_id).values(
                outcome=result.outcome, order_number=result.order_number, detail=result.detail[:300] or None,
                next_attempt_at=None))

    async def failed(self, row_id: int, attempts: int, error: str, next_at: datetime | None) -> None:
        """Record a failed attempt: retry at ``next_at``, or (None) dead-letter the message."""
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(t).where(t.c.id == row_id).values(
                outcome=None if next_at else DEAD_LETTER, attempts=attempts, next_attempt_at=next_at,
                last_error=error))

    async def due(self, now: datetime, limit: int = 50) -> list[Row[Any]]:
        """Rows to route again: a failed attempt's retry time has come; never settled (the process
        died mid-way) for STUCK_AFTER, so a delivery being handled right now is left alone; or
        claimed by a node whose lease ran out."""
        waiting = or_(t.c.outcome.is_(None), t.c.outcome == PROCESSING)
        query = select(t).where(or_(
            and_(t.c.outcome.is_(None), t.c.next_attempt_at.is_(None), t.c.received_at <= now - STUCK_AFTER),
            and_(waiting, t.c.next_attempt_at <= now))).order_by(t.c.id).limit(limit)
        async with self.engine.connect() as conn:
            return list((await conn.execute(query)).all())

    async def claim(self, row: Row[Any], now: datetime) -> bool:
        """Take ``row`` for one attempt (counted now, so a message that kills its node still runs
        out of attempts); False when another node took it first."""
        async with write_transaction(self.engine) as conn:
            claimed = await conn.execute(
                update(t).where(t.c.id == row.id, t.c.outcome.is_not_distinct_from(row.outcome),
                                t.c.next_attempt_at.is_not_distinct_from(row.next_attempt_at))
                .values(outcome=PROCESSING, attempts=row.attempts + 1, next_attempt_at=now + PROCESSING_LEASE))
        return bool(claimed.rowcount)

    async def requeue(self, row_id: int, now: datetime) -> dict[str, Any] | None:
        """Send a dead letter back for a new round of attempts; None when there is no such dead letter."""
        async with write_transaction(self.engine) as conn:
            changed = await conn.execute(update(t).where(t.c.id == row_id, t.c.outcome == DEAD_LETTER)
                                         .values(outcome=None, attempts=0, next_attempt_at=now))
        return await self.get(row_id) if changed.rowcount else None

    async def list(self, *, limit: int = 100, offset: int = 0, outcome: str | None = None) -> list[dict[str, Any]]:
        """Newest first; ``outcome`` filters ("pending": not settled yet)."""
        query = select(t).where(*_with_outcome(outcome)).order_by(t.c.id.desc()).limit(limit).offset(offset)
        async with self.engine.connect() as conn:
            return [_view(r) for r in await conn.execute(query)]

    async def count(self, *, outcome: str | None = None) -> int:
        return await count_rows(self.engine, t, *_with_outcome(outcome))

    async def get(self, row_id: int) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t).where(t.c.id == row_id))).first()
        return None if row is None else _view(row)


def _with_outcome(outcome: str | None) -> list[Any]:
    if outcome == "pending":
        return [or_(t.c.outcome.is_(None), t.c.outcome == PROCESSING)]
    return [] if outcome is None else [t.c.outcome == outcome]


def _view(row: Row[Any]) -> dict[str, Any]:
    return {**{k: v.isoformat() if isinstance(v, datetime) else v for k, v in row._mapping.items()},
            "sender": mask_phone(row.sender)}
