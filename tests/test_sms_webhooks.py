"""Inbound webhook helpers: Twilio signatures, form parsing, survey replies."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from callcenter.sms.webhooks import (
    WebhookError,
    is_valid_signature,
    parse_inbound,
    parse_status_callback,
    parse_survey_reply,
)
from worksheet.model import Rating

TOKEN = "12345678901234567890123456789012"
URL = "https://hotline.example.cn/sms/inbound?tenant=1"
FORM = {"MessageSid": "SM" + "a" * 32, "From": "+8613800138000", "To": "+15005550006", "Body": "１"}


def sign(url: str = URL, form: dict[str, str] = FORM, token: str = TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, form)


def test_valid_signature() -> None:
    assert is_valid_signature(TOKEN, URL, FORM, sign())


@pytest.mark.parametrize("signature", [None, ""])
def test_missing_signature(signature: str | None) -> None:
    assert not is_valid_signature(TOKEN, URL, FORM, signature)


def test_signature_with_another_token() -> None:
    assert not is_valid_signature(TOKEN, URL, FORM, sign(token="x" * 32))


def test_tampered_body_fails() -> None:
    assert not is_valid_signature(TOKEN, URL, {**FORM, "Body": "3"}, sign())


def test_other_url_fails() -> None:
    # e.g. the app behind a proxy sees http://127.0.0.1:8080/...: the check must use the public URL
    assert not is_valid_signature(TOKEN, "http://127.0.0.1:8080/sms/inbound?tenant=1", FORM, sign())


def test_no_token_configured_never_validates() -> None:
    assert not is_valid_signature("", URL, FORM, sign(token=""))


def test_parse_inbound() -> None:
    sms = parse_inbound(FORM)
    assert (sms.message_sid, sms.sender, sms.recipient, sms.body) == (FORM["MessageSid"], "+8613800138000",
                                                                       "+15005550006", "１")


@pytest.mark.parametrize("missing", ["MessageSid", "From"])
def test_parse_inbound_requires_sid_and_sender(missing: str) -> None:
    with pytest.raises(WebhookError):
        parse_inbound({k: v for k, v in FORM.items() if k != missing})


def test_parse_status_callback_failed_with_code() -> None:
    status = parse_status_callback({"MessageSid": "SM1", "MessageStatus": "undelivered", "ErrorCode": "30003"})
    assert (status.message_sid, status.status, status.error_code) == ("SM1", "undelivered", "30003")
    assert status.final and status.failed


def test_parse_status_callback_in_progress() -> None:
    status = parse_status_callback({"MessageSid": "SM1", "MessageStatus": "sent", "ErrorCode": ""})
    assert status.error_code is None and not status.final and not status.failed


def test_parse_status_callback_requires_status() -> None:
    with pytest.raises(WebhookError):
        parse_status_callback({"MessageSid": "SM1"})


@pytest.mark.parametrize(("body", "rating"), [
    ("1", Rating.SATISFIED), ("１", Rating.SATISFIED), (" 1。", Rating.SATISFIED), ("满意", Rating.SATISFIED),
    ("1满意", Rating.SATISFIED),
    ("2", Rating.BASICALLY_SATISFIED), ("２", Rating.BASICALLY_SATISFIED), ("基本满意！", Rating.BASICALLY_SATISFIED),
    ("3", Rating.UNSATISFIED), ("３", Rating.UNSATISFIED), ("不满意", Rating.UNSATISFIED),
    ("3 不满意", Rating.UNSATISFIED),
])
def test_survey_answers(body: str, rating: Rating) -> None:
    assert parse_survey_reply(body) == rating
    assert parse_survey_reply(body) == rating.value  # plain strings for callers that do not import the enum


@pytest.mark.parametrize("body", ["", "4", "12", "非常满意", "不太满意", "1不满意", "请问什么时候处理？", "满意吗"])
def test_anything_else_is_not_an_answer(body: str) -> None:
    assert parse_survey_reply(body) is None
