"""Twilio adapter for the SMS port.

Uses the official synchronous ``twilio.rest.Client`` in a worker thread rather than its
aiohttp-based async client: the sync client is the one Twilio documents and tests most, and
one thread per message is cheap at hotline volumes. ``base_url`` re-points the Messages API
(``client.api.base_url``; every 2010-04-01 resource builds its URL from it) at a local fake.

Twilio cannot deliver two-way SMS to +86 numbers; mainland traffic needs a template provider
(Aliyun/Tencent) behind the same port. This adapter only sends the rendered free text.
"""

from __future__ import annotations

import asyncio
import logging

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from callcenter.sms.port import OutboundSms, SendReceipt, SmsOutcomeUnknown, SmsRejected, SmsUnavailable
from callcenter.sms.privacy import mask_phone

logger = logging.getLogger(__name__)

# 429 (too many requests) is a 4xx but clears up by itself: retry instead of giving up.
_RETRYABLE_STATUSES = frozenset({408, 429})


class TwilioSms:
    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, from_number: str, *, base_url: str | None = None,
                 status_callback: str | None = None, timeout: float = 10.0) -> None:
        self.from_number = from_number
        self.status_callback = status_callback
        # A timeout is essential: without one a hung connection pins a worker thread forever.
        self._client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if base_url is not None:
            self._client.api.base_url = base_url.rstrip("/")

    async def send(self, sms: OutboundSms) -> SendReceipt:
        return await asyncio.to_thread(self._send_blocking, sms)

    def _send_blocking(self, sms: OutboundSms) -> SendReceipt:
        kwargs: dict[str, str] = {"to": sms.to, "from_": self.from_number, "body": sms.text}
        if self.status_callback:
            kwargs["status_callback"] = self.status_callback
        try:
            message = self._client.messages.create(**kwargs)
        except TwilioRestException as exc:
            code = str(exc.code) if exc.code is not None else None
            # Twilio's messages quote the number ("The 'To' number +86... is not valid"): mask it,
            # and drop the original exception (``from None``) so a logged traceback cannot leak it.
            masked = mask_phone(sms.to)
            detail = f"Twilio answered HTTP {exc.status} (code {code}) for {masked}: {exc.msg}".replace(sms.to, masked)
            if exc.status >= 500 or exc.status in _RETRYABLE_STATUSES:
                raise SmsUnavailable(detail, provider_code=code) from None
            raise SmsRejected(detail, provider_code=code) from None
        except requests.ConnectionError as exc:
            # Refused, DNS, connect timeout: the request never reached Twilio, so a retry is safe.
            raise SmsUnavailable(f"Twilio unreachable: {type(exc).__name__}") from exc
        except requests.RequestException as exc:
            # A read timeout (or a broken response): Twilio may have sent it. Twilio's Messages
            # API takes no idempotency key, so resending could text the citizen twice.
            raise SmsOutcomeUnknown(f"no answer from Twilio: {type(exc).__name__}") from exc
        except TwilioException as exc:  # e.g. the RFC 9457 TwilioServiceException, or a bad response
            status = getattr(exc, "status", None)
            text = str(exc).replace(sms.to, mask_phone(sms.to))
            if isinstance(status, int) and 400 <= status < 500 and status not in _RETRYABLE_STATUSES:
                raise SmsRejected(f"Twilio refused the message: {text}") from None
            raise SmsUnavailable(f"Twilio failed: {text}") from None
        logger.info("SMS %s to %s accepted by Twilio as %s (%s)", sms.template, mask_phone(sms.to),
                    message.sid, message.status)
        return SendReceipt(provider_id=str(message.sid), status=str(message.status))
