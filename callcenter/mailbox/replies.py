"""Mail replies to enterprises who wrote to the mailbox: queued by order events, sent by SMTP.

The same events as the SMS confirmations (``planned_for_event``: registered, replied, closed)
queue a mail when the order came by mail; the key (order, event, template) makes a repeated
trigger store nothing new. Sending retries with backoff while the server is down or answers 4xx,
and gives up on a 5xx (the address does not exist): the outbox keeps why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from callcenter.db.orders import OrderRepository
from callcenter.sms.templates import TemplateError
from callcenter.sms.triggers import planned_for_event
from worksheet.deadlines import Policy
from worksheet.model import Channel, Event, WorkOrder

from .config import MailSettings
from .outbox import MailOutbox, OutgoingMail
from .privacy import mask_address
from .smtp import SmtpFailed, build_message, send_blocking
from .templates import render_mail

log = logging.getLogger(__name__)
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1),
                timedelta(hours=3), timedelta(hours=6))


def mail_origin(order: WorkOrder) -> dict[str, Any] | None:
    """What the intake kept about the mail an order came from (its create event's ``extra``)."""
    if order.channel != Channel.EMAIL or not order.history:
        return None
    origin = (order.history[0].data.get("extra") or {}).get("email")
    return origin if isinstance(origin, dict) and origin.get("from") else None


class MailReplies:
    def __init__(self, outbox: MailOutbox, settings: MailSettings, policy: Policy,
                 clock: Callable[[], datetime]) -> None:
        self.outbox, self.settings, self.policy, self.clock = outbox, settings, policy, clock
        self.wakeup = asyncio.Event()

    def new_message_id(self) -> str:
        domain = self.settings.address.partition("@")[2] or "zhitong.invalid"
        return f"<zt.{secrets.token_hex(12)}@{domain}>"

    async def on_order_changed(self, order: WorkOrder) -> None:
        """An OrderService observer (like SmsTriggers.on_order_changed)."""
        if order.history and mail_origin(order) is not None:
            last = order.history[-1].at
            for event in order.history:
                if event.at == last:
                    await self.on_event(order, event)

    async def on_event(self, order: WorkOrder, event: Event) -> None:
        origin = mail_origin(order)
        planned = planned_for_event(order, event, self.policy)
        if origin is None or planned is None:
            return
        try:
            subject, body = render_mail(planned.template, planned.params, self.settings.display_name)
        except TemplateError as exc:
            log.error("mail %s for %s not queued: %s", planned.template, order.number, exc.detail)
            return
        created = await self.outbox.enqueue(
            key=f"mail:{planned.key}", order_number=order.number, template=planned.template, to_addr=origin["from"],
            subject=subject, body=body, message_id=self.new_message_id(), in_reply_to=origin.get("message_id"),
            now=self.clock())
        if created:
            log.info("mail %s to %s queued for %s", planned.template, mask_address(origin["from"]), order.number)
            self.wakeup.set()

    async def reconcile(self, orders: OrderRepository, since: datetime) -> None:
        """Queue what events since ``since`` should have queued (a node that died in between)."""
        for order in await orders.changed_since(since):
            for event in order.history:
                if event.at >= since:
                    await self.on_event(order, event)

    async def run_due(self, now: datetime | None = None, batch: int = 20) -> int:
        """Send what is due; the number sent."""
        if not self.settings.sends:
            return 0
        sent = 0
        while True:
            now = now or self.clock()
            claimed = await self.outbox.claim_due(now, batch)
            for mail in claimed:
                sent += await self._send(mail, now)
            if len(claimed) < batch:
                return sent

    async def _send(self, mail: OutgoingMail, now: datetime) -> int:
        try:
            await asyncio.to_thread(send_blocking, build_message(mail, self.settings, now), self.settings)
        except SmtpFailed as exc:
            if exc.permanent or mail.attempts > len(RETRY_DELAYS):
                await self.outbox.finish(mail, now, status="failed", error=exc.detail)
                log.error("mail %s to %s failed: %s", mail.template, mask_address(mail.to_addr), exc.detail)
            else:
                delay = RETRY_DELAYS[mail.attempts - 1]
                await self.outbox.finish(mail, now, status="pending", error=exc.detail, retry_at=now + delay)
                log.warning("mail %s to %s: %s; retry in %s", mail.template, mask_address(mail.to_addr),
                            exc.detail, delay)
            return 0
        await self.outbox.finish(mail, now, status="sent")
        log.info("mail %s to %s sent (%s)", mail.template, mask_address(mail.to_addr), mail.order_number or "-")
        return 1

    async def run(self) -> None:
        """The sender loop: at once when woken, every poll interval anyway (retries, other nodes' mails)."""
        while True:
            try:
                await self.run_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("mail send round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), self.settings.poll_interval_s)
            self.wakeup.clear()
