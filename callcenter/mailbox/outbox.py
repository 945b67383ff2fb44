"""Replies waiting to be mailed (SQL): stored before any SMTP talk, once per idempotency key.

A row is claimed (``pending`` → ``sending``) before it is sent. Unlike an SMS, a mail whose node
died mid-send is sent again after ``SENDING_TIMEOUT``: it carries the same Message-ID, so the
recipient's client shows one mail, and a lost confirmation is worse than a repeated one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.claims import claim
from callcenter.db.engine import write_transaction
from callcenter.db.mailbox_tables import mail_outbox

SENDING_TIMEOUT = timedelta(minutes=10)


@dataclass(frozen=True)
class OutgoingMail:
    id: int
    idempotency_key: str
    order_number: str | None
    template: str
    to_addr: str
    subject: str
    body: str
    message_id: str
    in_reply_to: str | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> OutgoingMail:
        return cls(**dict(row._mapping))


class MailOutbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def enqueue(self, *, key: str, order_number: str | None, template: str, to_addr: str, subject: str,
                      body: str, message_id: str, in_reply_to: str | None, now: datetime) -> bool:
        """Store the mail unless this key was stored before; whether this call stored it."""
        t = mail_outbox
        dialect: Any = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(t).values(
            idempotency_key=key, order_number=order_number, template=template, to_addr=to_addr, subject=subject[:300],
            body=body, message_id=message_id, in_reply_to=in_reply_to, status="pending", attempts=0,
            next_attempt_at=now, created_at=now, updated_at=now).on_conflict_do_nothing(index_elements=["idempotency_key"])
        async with write_transaction(self.engine) as conn:
            return (await conn.execute(stmt.returning(t.c.id))).first() is not None

    async def claim_due(self, now: datetime, limit: int) -> list[OutgoingMail]:
        t = mail_outbox
        async with write_transaction(self.engine) as conn:  # a sender that died: its mails are due again
            await conn.execute(update(t).where(t.c.status == "sending", t.c.updated_at <= now - SENDING_TIMEOUT)
                               .values(status="pending", updated_at=now))
        rows = await claim(self.engine, t, status="pending", due=t.c.next_attempt_at <= now,
                           order_by=(t.c.next_attempt_at, t.c.id), limit=limit,
                           values={"status": "sending", "attempts": t.c.attempts + 1, "updated_at": now})
        return [OutgoingMail.from_row(r) for r in rows]

    async def finish(self, mail: OutgoingMail, now: datetime, *, status: str, error: str | None = None,
                     retry_at: datetime | None = None) -> None:
        t = mail_outbox
        values: dict[str, Any] = {"status": status, "updated_at": now, "last_error": error and error[:300]}
        if status == "sent":
            values["sent_at"] = now
        if retry_at is not None:
            values["next_attempt_at"] = retry_at
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(t).where(t.c.id == mail.id, t.c.status == "sending",
                                               t.c.attempts == mail.attempts).values(**values))

    async def order_for_message_ids(self, message_ids: Sequence[str]) -> str | None:
        """The order a mail we sent belongs to, found by the ids an answer quotes."""
        if not message_ids:
            return None
        t = mail_outbox
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t.c.order_number).where(
                t.c.message_id.in_(list(message_ids)), t.c.order_number.is_not(None)).limit(1))).first()
        return None if row is None else row.order_number

    async def list(self, *, order_number: str | None = None, limit: int = 100) -> list[OutgoingMail]:
        t = mail_outbox
        query = select(t).order_by(t.c.id.desc()).limit(limit)
        if order_number:
            query = query.where(t.c.order_number == order_number)
        async with self.engine.connect() as conn:
            return [OutgoingMail.from_row(r) for r in await conn.execute(query)]
