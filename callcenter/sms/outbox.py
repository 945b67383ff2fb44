"""The SMS outbox (SQL): durable, idempotent, claimed atomically.

A message is stored before anything is sent, under a unique idempotency key, so a trigger that
runs twice (a retry, a restart, two nodes) stores it once. Sending claims rows (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, the one-writer lock on SQLite) and moves them to ``sending`` first: a
node that dies mid-send leaves a row that is reported as ``unknown``, never sent again, because
at most one message per event matters more to a citizen than at least one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.claims import claim
from callcenter.db.counting import count_rows, one_of
from callcenter.db.direct import run_write
from callcenter.db.engine import write_transaction
from callcenter.db.group_commit import GroupCommit
from callcenter.db.order_rows import chunks
from callcenter.db.tables import sms_outbox, sms_status_events

from .port import OutboundSms
from .privacy import mask_phone
from .webhooks import DeliveryStatus

STATUSES = ("pending", "sending", "sent", "delivered", "undelivered", "failed", "rejected", "unknown", "cancelled")
# Rows that used the number's send budget (rate limit): anything the provider may have sent.
SPENT = ("sending", "sent", "delivered", "undelivered", "failed", "unknown")
# How far a provider status moves the row; a late "sent" after "delivered" changes nothing.
_PROVIDER_STATUS = {"accepted": "sent", "scheduled": "sent", "queued": "sent", "sending": "sent", "sent": "sent",
                    "delivered": "delivered", "read": "delivered", "undelivered": "undelivered",
                    "failed": "failed", "canceled": "cancelled"}
_RANK = {"sending": 0, "sent": 1, "delivered": 2, "undelivered": 2, "failed": 2, "cancelled": 2}


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    idempotency_key: str
    order_number: str | None
    template: str
    params: dict[str, str]
    to_phone: str
    body: str
    status: str
    attempts: int
    next_attempt_at: datetime
    provider: str | None
    provider_id: str | None
    error_id: str | None
    error_code: str | None
    error_detail: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    final_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> OutboxMessage:
        return cls(**dict(row._mapping))

    def to_sms(self) -> OutboundSms:
        return OutboundSms(to=self.to_phone, template=self.template, params=self.params, text=self.body,
                           idempotency_key=self.idempotency_key)

    def to_json(self, *, reveal: bool = False) -> dict[str, Any]:
        """The API view. Lists show the number masked and no body unless ``reveal`` (audited by the caller)."""
        view = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items()}
        if not reveal:
            view["to_phone"] = mask_phone(self.to_phone)
            view.pop("body")
            view.pop("params")
        return view


_ENQUEUE = {name: dialect.insert(sms_outbox).on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(sms_outbox.c.id, sms_outbox.c.idempotency_key)
            for name, dialect in (("sqlite", sqlite), ("postgresql", postgresql))}
_UNSENT = dict(provider=None, provider_id=None, error_id=None, error_code=None, error_detail=None, sent_at=None,
               final_at=None)


@dataclass(frozen=True)
class _Enqueue:
    sms: OutboundSms
    now: datetime
    order_number: str | None
    not_before: datetime | None


class SmsOutbox:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # Every new order queues its confirmation: on SQLite those share commits with the orders'.
        self._group = GroupCommit.for_engine(engine) if engine.dialect.name == "sqlite" else None

    @property
    def _pg(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def enqueue(self, sms: OutboundSms, now: datetime, *, order_number: str | None = None,
                      not_before: datetime | None = None) -> tuple[OutboxMessage, bool]:
        """Store the message once per idempotency key; (the row, whether this call created it).
        On SQLite concurrent calls (one per new order) share one commit (see group_commit.py)."""
        item = _Enqueue(sms, now, order_number, not_before)
        if self._group is not None:
            return await self._group.add(self._enqueue_many, item)
        (result,) = await run_write(self.engine, self._enqueue_many, [item])
        return result

    def _enqueue_many(self, conn: Connection, items: Sequence[_Enqueue]) -> list[tuple[OutboxMessage, bool]]:
        params = [dict(
            idempotency_key=i.sms.idempotency_key, order_number=i.order_number, template=i.sms.template,
            params=dict(i.sms.params), to_phone=i.sms.to, body=i.sms.text, status="pending", attempts=0,
            next_attempt_at=(i.not_before or i.now).astimezone(UTC), created_at=i.now.astimezone(UTC),
            updated_at=i.now.astimezone(UTC),
        ) for i in items]
        # One prebuilt statement (executemany, compiled once) returns the ids of the rows it created;
        # the messages are built from what was inserted, and only keys stored before are read back.
        ids = {r.idempotency_key: r.id for r in conn.execute(_ENQUEUE[conn.dialect.name], params)}
        rows: dict[str, OutboxMessage] = {}
        for p in params:  # the same key twice in a batch: the first one was stored
            if p["idempotency_key"] in ids and p["idempotency_key"] not in rows:
                rows[p["idempotency_key"]] = OutboxMessage(id=ids[p["idempotency_key"]], **p, **_UNSENT)
        created = set(rows)
        earlier = [k for k in dict.fromkeys(i.sms.idempotency_key for i in items) if k not in rows]
        rows |= {r.idempotency_key: OutboxMessage.from_row(r) for part in chunks(earlier) for r in (
            conn.execute(select(sms_outbox).where(sms_outbox.c.idempotency_key.in_(part))))}
        results = []
        for item in items:  # the same key twice in a batch: the first call created it
            key = item.sms.idempotency_key
            results.append((rows[key], key in created))
            created.discard(key)
        return results

    async def claim_due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        t = sms_outbox
        rows = await claim(self.engine, t, status="pending", due=t.c.next_attempt_at <= now,
                           order_by=(t.c.next_attempt_at, t.c.id), limit=limit,
                           values={"status": "sending", "attempts": t.c.attempts + 1, "updated_at": now})
        return [OutboxMessage.from_row(r) for r in rows]

    async def spent_since(self, to_phone: str, since: datetime, *, exclude: int) -> list[datetime]:
        """When messages to this number used its budget since ``since`` (claim time for in-flight ones)."""
        t = sms_outbox
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.c.sent_at, t.c.updated_at).where(
                t.c.to_phone == to_phone, t.c.status.in_(SPENT), t.c.id != exclude,
                (t.c.sent_at >= since) | (t.c.sent_at.is_(None) & (t.c.updated_at >= since))))
            return [r.sent_at or r.updated_at for r in rows]

    async def defer(self, msg: OutboxMessage, until: datetime, now: datetime) -> OutboxMessage | None:
        """Back to pending without spending an attempt (the number's rate limit)."""
        return await self._transition(msg, "sending", status="pending", attempts=msg.attempts - 1,
                                      next_attempt_at=until, updated_at=now)

    async def mark_sent(self, msg: OutboxMessage, provider: str, provider_id: str, now: datetime) -> OutboxMessage | None:
        done = await self._transition(msg, "sending", status="sent", provider=provider, provider_id=provider_id,
                                      sent_at=now, updated_at=now, error_id=None, error_code=None, error_detail=None)
        if done is None:
            return None
        # A status callback can beat our own write (the provider answers fast); apply what came.
        async with self.engine.connect() as conn:
            early = (await conn.execute(select(sms_status_events).where(
                sms_status_events.c.provider_id == provider_id).order_by(sms_status_events.c.id))).all()
        for event in early:
            done = await self._apply_status(provider_id, event.status, event.error_code, now) or done
        return done

    async def retry_at(self, msg: OutboxMessage, at: datetime, error: tuple[str, str | None, str],
                       now: datetime) -> OutboxMessage | None:
        error_id, code, detail = error
        return await self._transition(msg, "sending", status="pending", next_attempt_at=at, updated_at=now,
                                      error_id=error_id, error_code=code, error_detail=detail[:300])

    async def give_up(self, msg: OutboxMessage, status: str, error: tuple[str, str | None, str],
                      now: datetime) -> OutboxMessage | None:
        error_id, code, detail = error
        return await self._transition(msg, msg.status, status=status, updated_at=now, final_at=now,
                                      error_id=error_id, error_code=code, error_detail=detail[:300])

    async def stale_sending(self, now: datetime, timeout: timedelta) -> list[OutboxMessage]:
        t = sms_outbox
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t).where(t.c.status == "sending", t.c.updated_at <= now - timeout))
            return [OutboxMessage.from_row(r) for r in rows]

    async def record_status(self, status: DeliveryStatus, now: datetime) -> OutboxMessage | None:
        """Keep every callback; move the message forward (never back). None for an unknown message."""
        async with write_transaction(self.engine) as conn:
            await conn.execute(sms_status_events.insert().values(
                provider_id=status.message_sid, status=status.status[:24], error_code=status.error_code,
                received_at=now))
        return await self._apply_status(status.message_sid, status.status, status.error_code, now)

    async def _apply_status(self, provider_id: str, provider_status: str, error_code: str | None,
                            now: datetime) -> OutboxMessage | None:
        t = sms_outbox
        target = _PROVIDER_STATUS.get(provider_status)
        async with write_transaction(self.engine) as conn:
            row = (await conn.execute(select(t).where(t.c.provider_id == provider_id))).first()
            if row is None or target is None or _RANK.get(target, 0) <= _RANK.get(row.status, 3):
                return None if row is None else OutboxMessage.from_row(row)
            values: dict[str, Any] = {"status": target, "updated_at": now}
            if _RANK[target] == 2:
                values["final_at"] = now
            if error_code:
                values.update(error_id="sms-undelivered", error_code=error_code[:40])
            await conn.execute(update(t).where(t.c.id == row.id, t.c.status == row.status).values(**values))
            return OutboxMessage.from_row((await conn.execute(select(t).where(t.c.id == row.id))).one())

    async def get(self, message_id: int) -> OutboxMessage | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(sms_outbox).where(sms_outbox.c.id == message_id))).first()
        return None if row is None else OutboxMessage.from_row(row)

    async def list(self, *, order_number: str | None = None, status: str | Collection[str] | None = None,
                   limit: int = 100, offset: int = 0) -> list[OutboxMessage]:
        """Newest first; ``status`` one state or any of several."""
        query = select(sms_outbox).where(*_where(order_number, status))
        query = query.order_by(sms_outbox.c.id.desc()).limit(limit).offset(offset)
        async with self.engine.connect() as conn:
            return [OutboxMessage.from_row(r) for r in await conn.execute(query)]

    async def count(self, *, order_number: str | None = None, status: str | Collection[str] | None = None) -> int:
        return await count_rows(self.engine, sms_outbox, *_where(order_number, status))

    async def _transition(self, msg: OutboxMessage, expected: str, **values: Any) -> OutboxMessage | None:
        t = sms_outbox
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(update(t).where(
                and_(t.c.id == msg.id, t.c.status == expected, t.c.attempts == msg.attempts)).values(**values))
            if not result.rowcount:
                return None
            return OutboxMessage.from_row((await conn.execute(select(t).where(t.c.id == msg.id))).one())


def _where(order_number: str | None, status: str | Collection[str] | None) -> list[Any]:
    return [*([sms_outbox.c.order_number == order_number] if order_number else []), *one_of(sms_outbox.c.status, status)]
