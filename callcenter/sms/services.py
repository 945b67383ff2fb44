"""SmsService: queue templated messages in the outbox and send what is due through the provider.

Queueing never talks to the provider, so an order command is never slowed or failed by SMS.
Sending respects the per-number limit (deferred, not dropped), retries transient provider errors
with backoff, and gives up on permanent ones with the provider's reason kept for the supervisor.
Logs show masked numbers and template names, never bodies.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .outbox import OutboxMessage, SmsOutbox
from .phone import mobile_e164
from .port import SmsError, SmsProvider, SmsUnavailable
from .privacy import mask_phone, rate_limit_release
from .templates import TemplateError, build_sms
from .webhooks import DeliveryStatus

log = logging.getLogger(__name__)

RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1),
                timedelta(hours=3))
SENDING_TIMEOUT = timedelta(minutes=10)  # a claim older than this died with its node


@dataclass(frozen=True)
class SmsLimits:
    per_number: int = 5
    period: timedelta = timedelta(hours=1)
    max_attempts: int = len(RETRY_DELAYS) + 1
    # A confirmation that could not go out for this long (SMS was off, the provider was down for
    # days) is cancelled: "your order was accepted" a week late confuses more than it helps.
    max_age: timedelta = timedelta(hours=72)


@dataclass
class SendReport:
    sent: int = 0
    deferred: int = 0
    retrying: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"sent": self.sent, "deferred": self.deferred, "retrying": self.retrying, "failed": self.failed}


class SmsService:
    def __init__(self, outbox: SmsOutbox, provider: SmsProvider | None, clock: Callable[[], datetime], *,
                 limits: SmsLimits = SmsLimits(), batch: int = 20) -> None:
        self.outbox = outbox
        self.provider = provider
        self.clock = clock
        self.limits = limits
        self.batch = batch
        self.wakeup = asyncio.Event()  # set when a message is queued: the sender loop runs at once

    async def queue(self, phone: str | None, template: str, params: Mapping[str, str], *, key: str,
                    order_number: str | None = None, not_before: datetime | None = None) -> OutboxMessage | None:
        """Store one message (once per ``key``). None if the number cannot take SMS or the params
        cannot make a valid text; both are logged, neither raises into the caller's work."""
        to = mobile_e164(phone)
        if to is None:
            log.info("no SMS %s for %s: %s is not a mobile number", template, order_number or "-",
                     mask_phone(phone or ""))
            return None
        try:
            sms = build_sms(to, template, params, idempotency_key=key)
        except TemplateError as exc:
            log.error("SMS %s for %s not queued: %s", template, order_number or "-", exc.detail)
            return None
        message, created = await self.outbox.enqueue(sms, self.clock(), order_number=order_number,
                                                     not_before=not_before)
        if created:
            log.info("SMS %s to %s queued (%s)", template, mask_phone(to), key)
            if self.provider is not None:  # with SMS off, nothing goes out: a round would only cost queries
                self.wakeup.set()
        return message

    async def run_due(self, now: datetime | None = None) -> SendReport:
        now = now or self.clock()
        report = SendReport()
        if self.provider is None:
            return report
        await self._expire_stale(now)
        while True:
            claimed = await self.outbox.claim_due(now, self.batch)
            for message in claimed:
                await self._send(message, now, report)
            if len(claimed) < self.batch:
                return report

    async def on_status(self, status: DeliveryStatus) -> OutboxMessage | None:
        message = await self.outbox.record_status(status, self.clock())
        if message is not None and status.failed:
            log.warning("SMS %s to %s %s (error %s)", message.template, mask_phone(message.to_phone),
                        status.status, status.error_code or "-")
        return message

    async def _send(self, message: OutboxMessage, now: datetime, report: SendReport) -> None:
        assert self.provider is not None
        if now - message.next_attempt_at > self.limits.max_age:
            error = ("sms-expired", None, f"not sent within {self.limits.max_age} of when it was due")
            await self.outbox.give_up(message, "cancelled", error, now)
            report.failed.append({"id": message.id, "template": message.template, "status": "cancelled",
                                  "error_id": "sms-expired", "provider_code": None})
            log.warning("SMS %s to %s cancelled: too late to send", message.template, mask_phone(message.to_phone))
            return
        since = now - self.limits.period
        spent = await self.outbox.spent_since(message.to_phone, since, exclude=message.id)
        release = rate_limit_release(spent, now, capacity=self.limits.per_number, period=self.limits.period)
        if release is not None:
            await self.outbox.defer(message, release, now)
            report.deferred += 1
            log.warning("SMS %s to %s deferred to %s: rate limit", message.template,
                        mask_phone(message.to_phone), release.isoformat())
            return
        try:
            receipt = await self.provider.send(message.to_sms())
        except SmsError as exc:
            await self._failed(message, exc, now, report)
            return
        await self.outbox.mark_sent(message, self.provider.name, receipt.provider_id, now)
        report.sent += 1

    async def _failed(self, message: OutboxMessage, exc: SmsError, now: datetime, report: SendReport) -> None:
        error = (exc.error_id, exc.provider_code, exc.detail)
        if isinstance(exc, SmsUnavailable) and message.attempts < self.limits.max_attempts:
            delay = RETRY_DELAYS[min(message.attempts, len(RETRY_DELAYS)) - 1]
            await self.outbox.retry_at(message, now + delay, error, now)
            report.retrying += 1
            log.warning("SMS %s to %s: %s; retry %d in %s", message.template, mask_phone(message.to_phone),
                        exc.error_id, message.attempts + 1, delay)
            return
        status = "unknown" if exc.error_id == "sms-outcome-unknown" else (
            "failed" if exc.retryable else "rejected")
        await self.outbox.give_up(message, status, error, now)
        report.failed.append({"id": message.id, "template": message.template, "status": status,
                              "error_id": exc.error_id, "provider_code": exc.provider_code})
        log.error("SMS %s to %s %s: %s", message.template, mask_phone(message.to_phone), status, exc.detail)

    async def _expire_stale(self, now: datetime) -> None:
        for message in await self.outbox.stale_sending(now, SENDING_TIMEOUT):
            error = ("sms-outcome-unknown", None, "the node sending it stopped; it may or may not have gone out")
            if await self.outbox.give_up(message, "unknown", error, now) is not None:
                log.error("SMS %s to %s: outcome unknown after a crash; not resent", message.template,
                          mask_phone(message.to_phone))
