"""The background sender: sends due messages at once when woken, and every ``interval`` anyway
(retries, rate-limit releases, messages another node queued); each round also routes inbound
messages whose first handling failed: on the interval, or at once when a supervisor sent one back
(every created order wakes the sender, and a query for stuck inbound messages per wake-up was a
tenth of a create's time)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from .inbound import InboundSmsService
from .services import SmsService

log = logging.getLogger(__name__)


async def sms_loop(sms: SmsService, inbound: InboundSmsService | None = None, interval: float = 15.0) -> None:
    clock = asyncio.get_running_loop().time
    stuck_due = clock()
    while True:
        try:
            if inbound is not None and (inbound.requeued or clock() >= stuck_due):
                stuck_due, inbound.requeued = clock() + interval, False
                await inbound.retry_stuck()
            report = await sms.run_due()
            if report.sent or report.failed:
                log.debug("SMS round: %s", report.to_json())
        except asyncio.CancelledError:
            raise
        except Exception:  # the database or the provider failed in an unexpected way: next round
            log.exception("SMS send round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(sms.wakeup.wait(), interval)
        sms.wakeup.clear()
