"""Which mails of the IMAP folder were processed (SQL): claim before processing, settle after.

A mail is identified by (mailbox, UIDVALIDITY, UID), unique in ``mail_inbox``. A node claims it by
inserting that row (or, for a row whose earlier attempt failed or whose node died, by moving it
back to ``processing`` with a conditional update); only one node's insert or update succeeds.
The claim is a lease: a node that dies mid-mail leaves a ``processing`` row whose lease runs out
and another node (or the same one after a restart) takes it over. What the mail produced is made
idempotent by the intake (see intake.py), so a takeover finishes the work instead of repeating it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.engine import write_transaction
from callcenter.db.mailbox_tables import mail_inbox

OPEN = ("pending", "processing")


@dataclass(frozen=True)
class Claim:
    id: int
    mailbox: str
    uidvalidity: int
    uid: int
    attempts: int
    received_at: datetime
    taken_over: bool  # an earlier attempt may have left work behind: the intake checks first

    @property
    def key(self) -> str:
        return f"{self.uidvalidity}:{self.uid}"


class MailInbox:
    def __init__(self, engine: AsyncEngine, node: str, lease: timedelta) -> None:
        self.engine, self.node, self.lease = engine, node, lease

    async def search_from(self, mailbox: str, uidvalidity: int) -> int:
        """The lowest UID worth fetching: the first one not settled, else the one after the newest seen."""
        t = mail_inbox
        mine = and_(t.c.mailbox == mailbox, t.c.uidvalidity == uidvalidity)
        async with self.engine.connect() as conn:
            low = (await conn.execute(select(func.min(t.c.uid)).where(mine, t.c.status.in_(OPEN)))).scalar()
            if low is not None:
                return int(low)
            high = (await conn.execute(select(func.max(t.c.uid)).where(mine))).scalar()
        return 1 if high is None else int(high) + 1

    async def settled(self, mailbox: str, uidvalidity: int, uids: Sequence[int]) -> set[int]:
        t = mail_inbox
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.c.uid).where(
                t.c.mailbox == mailbox, t.c.uidvalidity == uidvalidity, t.c.uid.in_(list(uids)),
                t.c.status.not_in(OPEN)))
            return {int(r.uid) for r in rows}

    async def claim(self, mailbox: str, uidvalidity: int, uid: int, now: datetime, *,
                    received_at: datetime | None = None) -> Claim | None:
        """``received_at``: when the server took the mail in (kept across attempts; default now)."""
        received = now if received_at is None else min(received_at, now)
        t = mail_inbox
        dialect: Any = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        values = dict(status="processing", claimed_by=self.node, updated_at=now, next_attempt_at=now + self.lease)
        async with write_transaction(self.engine) as conn:
            insert = dialect.insert(t).values(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, attempts=1,
                                              received_at=received, **values)
            row = (await conn.execute(insert.on_conflict_do_nothing().returning(t.c.id))).first()
            if row is not None:
                return Claim(row.id, mailbox, uidvalidity, uid, 1, received, taken_over=False)
            # Failed earlier and due again, or claimed by a node whose lease ran out.
            row = (await conn.execute(update(t).where(
                t.c.mailbox == mailbox, t.c.uidvalidity == uidvalidity, t.c.uid == uid,
                t.c.status.in_(OPEN), t.c.next_attempt_at <= now,
            ).values(attempts=t.c.attempts + 1, **values).returning(t.c.id, t.c.attempts, t.c.received_at))).first()
        if row is None:
            return None
        return Claim(row.id, mailbox, uidvalidity, uid, row.attempts, row.received_at, taken_over=True)

    async def settle(self, claim: Claim, status: str, outcome: str, *, order_number: str | None = None,
                     message_id: str | None = None, now: datetime) -> bool:
        """Record the result; False when this node's claim was taken over meanwhile."""
        return await self._update(claim, status=status, outcome=outcome, order_number=order_number,
                                  message_id=(message_id or None) and message_id[:300], updated_at=now,
                                  last_error=None)

    async def failed(self, claim: Claim, error: str, retry_at: datetime | None, now: datetime) -> bool:
        """Try again at ``retry_at``, or never (``None``: a supervisor looks at the dead letter)."""
        return await self._update(claim, status="pending" if retry_at else "dead", last_error=error[:300],
                                  next_attempt_at=retry_at or now, updated_at=now)

    async def _update(self, claim: Claim, **values: Any) -> bool:
        t = mail_inbox
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(update(t).where(
                t.c.id == claim.id, t.c.claimed_by == self.node, t.c.attempts == claim.attempts,
                t.c.status == "processing").values(**values))
            return bool(result.rowcount)

    async def order_for_thread(self, message_ids: Sequence[str]) -> str | None:
        """The order an earlier mail of this thread went into (the enterprise replying to itself)."""
        if not message_ids:
            return None
        t = mail_inbox
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t.c.order_number).where(
                t.c.message_id.in_(list(message_ids)), t.c.order_number.is_not(None)).order_by(t.c.id.desc()).limit(1))).first()
        return None if row is None else row.order_number

    async def processed_elsewhere(self, mailbox: str, message_id: str, uidvalidity: int) -> bool:
        """The same Message-ID was settled under another UIDVALIDITY of this mailbox: after the
        server renumbered the folder, a mail we already handled is recognised by its Message-ID."""
        t = mail_inbox
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t.c.id).where(
                t.c.mailbox == mailbox, t.c.message_id == message_id[:300], t.c.uidvalidity != uidvalidity,
                t.c.status.not_in(OPEN)).limit(1))).first()
        return row is not None

    async def requeue(self, row_id: int, now: datetime) -> bool:
        """A dead letter back to pending, due at once (an operator fixed the cause)."""
        t = mail_inbox
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(update(t).where(t.c.id == row_id, t.c.status == "dead").values(
                status="pending", attempts=0, next_attempt_at=now, updated_at=now))
            return bool(result.rowcount)

    async def list(self, *, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        t = mail_inbox
        query = select(t).order_by(t.c.id.desc()).limit(limit)
        if status:
            query = query.where(t.c.status == status)
        async with self.engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(query)]

    async def counts(self) -> dict[str, int]:
        t = mail_inbox
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.c.status, t.c.outcome, func.count()).group_by(t.c.status, t.c.outcome))
            return {f"{r[0]}:{r[1] or '-'}": int(r[2]) for r in rows}



