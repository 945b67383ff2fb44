"""Pure helpers for Twilio's inbound side: signature check, form parsing, survey replies.

The aiohttp handlers (not here) read the form, call these, and act; keeping them pure means
the security-relevant part (the signature) is tested without a web server.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from twilio.request_validator import RequestValidator

from worksheet.model import Rating

SIGNATURE_HEADER = "X-Twilio-Signature"


class WebhookError(Exception):
    """A webhook form that lacks a required field: answer 400, do not retry processing."""

    error_id = "sms-webhook-invalid"


def is_valid_signature(auth_token: str, url: str, form: Mapping[str, str], signature: str | None) -> bool:
    """True only if ``signature`` (the X-Twilio-Signature header) matches ``url`` + ``form``.

    ``url`` must be the exact public URL Twilio requested (scheme, host, port, path, query),
    not the one the app sees behind a reverse proxy, or every request will fail the check.
    """
    if not signature or not auth_token:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(form), signature))


def _required(form: Mapping[str, str], key: str) -> str:
    value = form.get(key, "").strip()
    if not value:
        raise WebhookError(f"missing form field {key}")
    return value


@dataclass(frozen=True)
class InboundSms:
    message_sid: str
    sender: str  # "From", E.164
    recipient: str  # "To": our number ("" if absent)
    body: str


def parse_inbound(form: Mapping[str, str]) -> InboundSms:
    return InboundSms(message_sid=_required(form, "MessageSid"), sender=_required(form, "From"),
                      recipient=form.get("To", "").strip(), body=form.get("Body", ""))


@dataclass(frozen=True)
class DeliveryStatus:
    message_sid: str
    status: str  # queued, sent, delivered, undelivered, failed, ...
    error_code: str | None  # Twilio error code on undelivered/failed, e.g. "30003"

    @property
    def final(self) -> bool:
        """Whether more callbacks can follow for this message."""
        return self.status in {"delivered", "undelivered", "failed", "canceled", "read"}

    @property
    def failed(self) -> bool:
        return self.status in {"undelivered", "failed"}


def parse_status_callback(form: Mapping[str, str]) -> DeliveryStatus:
    error_code = form.get("ErrorCode", "").strip() or None
    # Older callbacks carry SmsStatus; MessageStatus is the current name.
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if not status:
        raise WebhookError("missing form field MessageStatus")
    return DeliveryStatus(message_sid=_required(form, "MessageSid"), status=status, error_code=error_code)


_SURVEY_ANSWERS: Mapping[str, Rating] = {
    "1": Rating.SATISFIED, "满意": Rating.SATISFIED, "1满意": Rating.SATISFIED,
    "2": Rating.BASICALLY_SATISFIED, "基本满意": Rating.BASICALLY_SATISFIED,
    "2基本满意": Rating.BASICALLY_SATISFIED,
    "3": Rating.UNSATISFIED, "不满意": Rating.UNSATISFIED, "3不满意": Rating.UNSATISFIED,
}


def parse_survey_reply(body: str) -> Rating | None:
    """The rating in a reply to the survey SMS, or None if it is not a clear answer.

    NFKC folds full-width digits (１２３) to ASCII; whitespace and punctuation around the
    answer are ignored ("1。", " 满意！"). Anything else (a question, "非常不满意，..."), is None
    so an agent reads it instead of it being counted as a vote.
    """
    text = unicodedata.normalize("NFKC", body)
    kept = "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch).startswith("P")))
    return _SURVEY_ANSWERS.get(kept)


@dataclass(frozen=True)
class WebhookConfig:
    auth_token: str  # the Twilio auth token the signatures are made with ("" rejects every request)
    public_url: str | None  # the base URL Twilio calls, when the app sits behind a proxy
    aliyun_token: str = ""  # the secret last path segment of Aliyun's report push ("" = route off)
