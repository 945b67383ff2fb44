"""The robot outbox (SQL): a notice is stored once per idempotency key when the order event is
saved, and sent later by the worker; a WeCom outage delays notices, never an order command.

Unlike SMS (at most once), a group notice that may have gone out is sent again rather than lost:
a repeated line in a work group is harmless, a missed dispatch is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.claims import claim
from callcenter.db.dialect_insert import insert
from callcenter.db.engine import write_transaction
from callcenter.db.wecom_tables import wecom_outbox

STATUSES = ("pending", "sending", "sent", "failed")


@dataclass(frozen=True)
class RobotMessage:
    id: int
    idempotency_key: str
    order_number: str | None
    target: str
    body: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    error_detail: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in self.__dict__.items()}


def _message(row: Any) -> RobotMessage:
    return RobotMessage(**dict(row._mapping))


class RobotOutbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def enqueue(self, key: str, target: str, body: dict[str, Any], now: datetime, *,
                      order_number: str | None = None) -> bool:
        """Store the message unless its key is already stored; whether this call stored it."""
        stmt = insert(self.engine, wecom_outbox).values(
            idempotency_key=key, order_number=order_number, target=target, body=body, status="pending",
            attempts=0, next_attempt_at=now, created_at=now, updated_at=now,
        ).on_conflict_do_nothing(index_elements=["idempotency_key"])
        async with write_transaction(self.engine) as conn:
            return bool((await conn.execute(stmt)).rowcount)

    async def claim_due(self, now: datetime, limit: int) -> list[RobotMessage]:
        t = wecom_outbox
        rows = await claim(self.engine, t, status="pending", due=t.c.next_attempt_at <= now,
                           order_by=(t.c.next_attempt_at, t.c.id), limit=limit,
                           values={"status": "sending", "attempts": t.c.attempts + 1, "updated_at": now})
        return [_message(r) for r in rows]

    async def finish(self, msg: RobotMessage, status: str, now: datetime, *, error: str | None = None,
                     retry_at: datetime | None = None) -> None:
        """sent, failed (for good), or pending again at ``retry_at``."""
        values: dict[str, Any] = {"status": status, "updated_at": now, "error_detail": (error or "")[:300] or None}
        if status == "sent":
            values["sent_at"] = now
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(wecom_outbox).where(wecom_outbox.c.id == msg.id,
                                                          wecom_outbox.c.status == "sending").values(**values))

    async def release_stale(self, now: datetime, timeout: timedelta) -> int:
        """Claims of a node that died mid-send go back to pending."""
        t = wecom_outbox
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(update(t).where(t.c.status == "sending", t.c.updated_at <= now - timeout)
                                        .values(status="pending", next_attempt_at=now, updated_at=now))
            return int(result.rowcount or 0)

    async def list(self, *, order_number: str | None = None, limit: int = 100) -> list[RobotMessage]:
        query = select(wecom_outbox).order_by(wecom_outbox.c.id.desc()).limit(limit)
        if order_number:
            query = query.where(wecom_outbox.c.order_number == order_number)
        async with self.engine.connect() as conn:
            return [_message(r) for r in await conn.execute(query)]
