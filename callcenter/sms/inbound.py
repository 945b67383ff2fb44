"""Inbound SMS: stored once per provider message id, then routed.

A reply of 1/2/3 to an SMS survey is the order's callback result; other text from a sender with
an order still open (received within the window) is appended to it; anything else becomes a
draft for an agent. A webhook delivered twice finds its row and changes nothing. A message that
cannot be routed stays stored and is tried again with growing delays; after the last attempt it
waits for a supervisor (`inbox`).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.callbacks.services import CallbackService
from callcenter.db.errors import OrderNotFound
from callcenter.intake.text_drafts import Extract, TextSource, draft_from_text
from callcenter.orders.services import SYSTEM, OrderService
from worksheet import commands as c
from worksheet.errors import WorksheetError
from worksheet.model import OPEN_STATUSES, Channel, Rating, Status

from .inbox import MAX_ATTEMPTS, InboundResult, Inbox, describe_error, retry_delay
from .phone import mobile_e164, phone_key
from .privacy import mask_phone
from .webhooks import InboundSms, parse_survey_reply

log = logging.getLogger(__name__)
DEFAULT_APPEND_WINDOW = timedelta(days=3)


class InboundSmsService:
    def __init__(self, engine: AsyncEngine, orders: OrderService, callbacks: CallbackService | None,
                 extract: Extract | None, clock: Callable[[], datetime], *,
                 append_window: timedelta = DEFAULT_APPEND_WINDOW) -> None:
        self.inbox = Inbox(engine)
        self.orders = orders
        self.callbacks = callbacks
        self.extract = extract
        self.clock = clock
        self.append_window = append_window
        self.requeued = False  # a supervisor sent a message back: the sender loop routes it at once

    async def receive(self, sms: InboundSms, *, note: str = "") -> InboundResult:
        """Store, then route. A message that cannot be routed stays stored ("pending") and is
        tried again by `retry_stuck`; only a failure to store it at all reaches the caller."""
        now = self.clock()
        row_id, previous = await self.inbox.store(sms, now, note)
        if row_id is None:
            assert previous is not None
            return previous
        try:
            result = await self._route(sms, now)
        except Exception as exc:
            return await self._failed(row_id, sms, 1, exc, now)
        await self.inbox.settle(row_id, result)
        log.info("inbound SMS %s from %s: %s %s", sms.message_sid, mask_phone(sms.sender), result.outcome,
                 result.order_number or "")
        return result

    async def retry_stuck(self, now: datetime | None = None) -> int:
        """Route again the messages stored but not settled whose time has come (`Inbox.due`), each
        claimed first so two nodes never route it twice. Returns how many were settled."""
        now = now or self.clock()
        done = 0
        for row in await self.inbox.due(now):
            if not await self.inbox.claim(row, now):
                continue
            sms = InboundSms(message_sid=row.message_sid, sender=row.sender, recipient=row.recipient, body=row.body)
            try:
                result = await self._route(sms, row.received_at)
            except Exception as exc:
                await self._failed(row.id, sms, row.attempts + 1, exc, now)
                continue
            await self.inbox.settle(row.id, result)
            done += 1
        return done

    async def _failed(self, row_id: int, sms: InboundSms, attempts: int, exc: Exception,
                      now: datetime) -> InboundResult:
        """Retry after a growing delay or, after the last attempt, leave the message to a supervisor.
        One log line per attempt, without the text or the number; the stack (without the exception's
        message: it may quote them) only after the first."""
        error = describe_error(exc)
        who = f"inbound SMS {sms.message_sid} from {mask_phone(sms.sender)}"
        next_at = None if attempts >= MAX_ATTEMPTS else now + retry_delay(attempts)
        if next_at is None:
            log.error("%s: attempt %d failed (%s); no attempts left, a supervisor decides", who, attempts, error)
        elif attempts == 1:
            log.warning("%s stored but not processed (%s); next attempt at %s; stack:\n%s", who, error,
                        next_at.isoformat(timespec="seconds"),
                        "".join(traceback.format_tb(exc.__traceback__)).rstrip())
        else:
            log.warning("%s: attempt %d failed (%s); next attempt at %s", who, attempts, error,
                        next_at.isoformat(timespec="seconds"))
        await self.inbox.failed(row_id, attempts, error, next_at)
        return InboundResult("pending" if next_at else "dead_letter", None, detail=error)

    async def requeue(self, row_id: int, now: datetime) -> dict[str, Any] | None:
        """A supervisor sends a dead letter back for processing; None when there is no such one."""
        row = await self.inbox.requeue(row_id, now)
        if row is not None:
            self.requeued = True
            log.info("inbound SMS %s sent back for processing", row["message_sid"])
        return row

    async def list(self, *, limit: int = 100, offset: int = 0, outcome: str | None = None) -> list[dict[str, Any]]:
        return await self.inbox.list(limit=limit, offset=offset, outcome=outcome)

    async def count(self, *, outcome: str | None = None) -> int:
        return await self.inbox.count(outcome=outcome)

    async def get(self, row_id: int) -> dict[str, Any] | None:
        return await self.inbox.get(row_id)

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
