"""The SMS provider port.

Shaped so that a mainland provider fits as well as Twilio: Aliyun/Tencent SMS only send
pre-approved templates (template code + named params, no free text), while Twilio sends free
text. Every message therefore carries both: the template name with its params *and* the
rendered text. Each adapter uses the half it needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class OutboundSms:
    to: str  # E.164, e.g. "+8613800138000"
    template: str  # template name (see callcenter.sms.templates); mainland adapters map it to a code
    params: Mapping[str, str]
    text: str  # the rendered text, for free-text providers (Twilio) and for the audit trail
    # Stable per logical message (e.g. "order-123:accepted"), so a retry after a timeout can be
    # deduplicated by providers that support it, or by the caller's outbox.
    idempotency_key: str


@dataclass(frozen=True)
class SendReceipt:
    provider_id: str  # the provider's message id (Twilio "SM...", Aliyun BizId, ...)
    status: str  # the provider's initial status, e.g. "queued"


class SmsError(Exception):
    """Base class; ``error_id`` is stable for logs and APIs, ``retryable`` drives the outbox."""

    error_id = "sms-error"
    retryable = False

    def __init__(self, detail: str, *, provider_code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.provider_code = provider_code  # e.g. Twilio "21211", Aliyun "isv.MOBILE_NUMBER_ILLEGAL"


class SmsRejected(SmsError):
    """Permanent: the provider refused this message (bad number, bad template, bad credentials).

    Retrying the same message will fail the same way; surface it to an agent instead.
    """

    error_id = "sms-rejected"
    retryable = False


class SmsUnavailable(SmsError):
    """Transient: the provider could not be reached or failed on its side; retry later."""

    error_id = "sms-unavailable"
    retryable = True


class SmsOutcomeUnknown(SmsError):
    """The request reached the provider but its answer did not reach us (a read timeout): the
    message may have gone out. The outbox never resends it (at most one message per event)."""

    error_id = "sms-outcome-unknown"
    retryable = False


@runtime_checkable
class SmsProvider(Protocol):
    name: str

    async def send(self, sms: OutboundSms) -> SendReceipt:
        """Send one message; raise SmsRejected or SmsUnavailable, never a provider exception."""
        ...
