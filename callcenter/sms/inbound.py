"""Inbound SMS: stored once per provider message id, then routed.

A reply of 1/2/3 to an SMS survey is the order's callback result; other text from a sender with
an order still open (received within the window) is appended to it; anything else becomes a
draft for an agent. A webhook delivered twice finds its row and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.callbacks.services import CallbackService
from callcenter.db.engine import write_transaction
from callcenter.db.errors import OrderNotFound
from callcenter.db.tables import sms_inbound
from callcenter.intake.text_drafts import Extract, TextSource, draft_from_text
from callcenter.orders.services import SYSTEM, OrderService
from worksheet import commands as c
from worksheet.errors import WorksheetError
from worksheet.model import OPEN_STATUSES, Channel, Rating, Status

from .phone import mobile_e164, phone_key
from .privacy import mask_phone
from .webhooks import InboundSms, parse_survey_reply

log = logging.getLogger(__name__)
DEFAULT_APPEND_WINDOW = timedelta(days=3)
STUCK_AFTER = timedelta(minutes=2)


@dataclass(frozen=True)
class InboundResult:
    outcome: str  # survey, supplement, draft, stray_rating, survey_rejected, ignored
    order_number: str | None
    duplicate: bool = False
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "order_number": self.order_number, "duplicate": self.duplicate,
                "detail": self.detail}


class InboundSmsService:
    def __init__(self, engine: AsyncEngine, orders: OrderService, callbacks: CallbackService | None,
                 extract: Extract | None, clock: Callable[[], datetime], *,
                 append_window: timedelta = DEFAULT_APPEND_WINDOW) -> None:
        self.engine = engine
        self.orders = orders
        self.callbacks = callbacks
        self.extract = extract
        self.clock = clock
        self.append_window = append_window

    async def receive(self, sms: InboundSms) -> InboundResult:
        now = self.clock()
        row_id, previous = await self._store(sms, now)
        if row_id is None:
            assert previous is not None
            return previous
        try:
            result = await self._route(sms, now)
        except Exception:
            # Stored, not acted on (outcome NULL): `retry_stuck` routes it again later; nothing is lost.
            log.exception("inbound SMS %s from %s stored but not processed", sms.message_sid, mask_phone(sms.sender))
            raise
        await self._settle(row_id, result)
        log.info("inbound SMS %s from %s: %s %s", sms.message_sid, mask_phone(sms.sender), result.outcome,
                 result.order_number or "")
        return result

    async def retry_stuck(self, now: datetime | None = None) -> int:
        """Route again the messages stored but never settled (the database or a bug failed mid-way).
        Only rows older than STUCK_AFTER, so a delivery being handled right now is left alone; each
        row is claimed ("processing") before it is routed, so two nodes never route it twice."""
        now = now or self.clock()
        t = sms_inbound
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(t).where(t.c.outcome.is_(None), t.c.received_at <= now - STUCK_AFTER)
                                       .order_by(t.c.id).limit(50))).all()
        done = 0
        for row in rows:
            async with write_transaction(self.engine) as conn:
                claimed = await conn.execute(update(t).where(t.c.id == row.id, t.c.outcome.is_(None))
                                             .values(outcome="processing"))
            if not claimed.rowcount:
                continue
            sms = InboundSms(message_sid=row.message_sid, sender=row.sender, recipient=row.recipient, body=row.body)
            try:
                result = await self._route(sms, row.received_at)
            except Exception:
                log.exception("inbound SMS %s still cannot be processed; trying again later", row.message_sid)
                async with write_transaction(self.engine) as conn:
                    await conn.execute(update(t).where(t.c.id == row.id).values(outcome=None))
                continue
            await self._settle(row.id, result)
            done += 1
        return done

    async def _route(self, sms: InboundSms, now: datetime) -> InboundResult:
        if not sms.body.strip():
            return InboundResult("ignored", None, detail="empty message")
        rating = parse_survey_reply(sms.body)
        if rating is not None:
            return await self._survey(sms, rating)
        order = await self._open_order(sms.sender, now)
        if order is not None:
            await self.orders.act(order, c.AddSupplement(actor=SYSTEM, text=sms.body, source=f"sms:{sms.message_sid}"))
            return InboundResult("supplement", order)
        sender = phone_key(sms.sender) if mobile_e164(sms.sender) else sms.sender
        draft = await draft_from_text(self.orders, self.extract, TextSource(
            channel=Channel.SMS, sender=sender, text=sms.body, received_at=now, subject="短信反映（待确认）",
            label="短信原文", empty="（空短信）", source=f"sms:{sms.message_sid}",
            extra={"sms": {"message_sid": sms.message_sid}}))
        return InboundResult("draft", draft.number)

    async def _survey(self, sms: InboundSms, rating: Rating) -> InboundResult:
        key = phone_key(sms.sender)
        jobs = [] if self.callbacks is None else await self.callbacks.repo.waiting_sms_for(key)
        jobs = [j for j in jobs if phone_key(j.phone) == key]
        if not jobs:
            # A bare "1" with no survey out (a reply to a closed order's SMS, a pocket text): an agent reads it.
            return InboundResult("stray_rating", None, detail="no SMS survey is waiting for this number")
        job = jobs[0]  # the oldest deadline: the survey the sender most likely answers
        try:
            await self.orders.act(job.order_number, c.RecordCallback(actor=SYSTEM, rating=rating))
        except (OrderNotFound, WorksheetError) as exc:
            return InboundResult("survey_rejected", job.order_number, detail=str(exc)[:300])
        assert self.callbacks is not None
        await self.callbacks.on_survey_result(job.order_number, rating)
        return InboundResult("survey", job.order_number)

    async def _open_order(self, sender: str, now: datetime) -> str | None:
        forms = dict.fromkeys(f for f in (phone_key(sender), mobile_e164(sender), sender) if f)
        statuses = [s.value for s in OPEN_STATUSES | {Status.DRAFT}]
        for phone in forms:
            found = await self.orders.orders.find_recent(since=now - self.append_window, enterprise_name=None,
                                                         phone=phone, statuses=statuses)
            if found:
                return found[0].number  # newest first
        return None

    async def _store(self, sms: InboundSms, now: datetime) -> tuple[int | None, InboundResult | None]:
        dialect: Any = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        t = sms_inbound
        stmt = dialect.insert(t).values(message_sid=sms.message_sid[:64], sender=sms.sender[:32],
                                        recipient=sms.recipient[:32], body=sms.body, received_at=now,
                                        ).on_conflict_do_nothing(index_elements=["message_sid"])
        async with write_transaction(self.engine) as conn:
            created = (await conn.execute(stmt)).rowcount == 1
            row = (await conn.execute(select(t).where(t.c.message_sid == sms.message_sid[:64]))).one()
        if created:
            return row.id, None
        return None, InboundResult(row.outcome or "pending", row.order_number, duplicate=True)

    async def _settle(self, row_id: int, result: InboundResult) -> None:
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(sms_inbound).where(sms_inbound.c.id == row_id).values(
                outcome=result.outcome, order_number=result.order_number, detail=result.detail[:300] or None))

    async def list(self, *, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        t = sms_inbound
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t).order_by(t.c.id.desc()).limit(limit).offset(offset))
            return [{**{k: v.isoformat() if isinstance(v, datetime) else v for k, v in r._mapping.items()},
                     "sender": mask_phone(r.sender)} for r in rows]
