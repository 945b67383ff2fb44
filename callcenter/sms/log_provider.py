"""A provider that only logs: for the demo and for trying the hotline without an SMS contract.

The outbox shows its messages as sent by provider "log", so nobody mistakes them for real ones.
"""

from __future__ import annotations

import itertools
import logging

from .port import OutboundSms, SendReceipt
from .privacy import mask_phone

log = logging.getLogger(__name__)


class LogSms:
    name = "log"

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    async def send(self, sms: OutboundSms) -> SendReceipt:
        log.info("SMS %s to %s (log provider, not sent)", sms.template, mask_phone(sms.to))
        return SendReceipt(provider_id=f"LOG{next(self._ids):08d}-{sms.idempotency_key[-40:]}", status="sent")
