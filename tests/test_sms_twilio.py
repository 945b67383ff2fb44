"""The real twilio client, driven through TwilioSms against the local fake Messages API."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from callcenter.sms.port import SmsProvider, SmsRejected, SmsUnavailable
from callcenter.sms.templates import build_sms
from callcenter.sms.twilio_adapter import TwilioSms
from tests.fake_twilio import FakeTwilio

FROM = "+15005550006"
TO = "+8613800138000"
CALLBACK = "https://hotline.example.cn/sms/status"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio() as server:
        yield server


def adapter(fake: FakeTwilio, *, token: str | None = None, status_callback: str | None = CALLBACK) -> TwilioSms:
    # A short timeout: if send() ever blocked the event loop, the fake (same loop) could not
    # answer and the test would fail on the timeout instead of hanging.
    return TwilioSms(fake.account_sid, token or fake.auth_token, FROM, base_url=fake.base_url,
                     status_callback=status_callback, timeout=5)


def accepted(to: str = TO) -> object:
    return build_sms(to, "order_accepted", {"order_no": "20261123-0007", "due_date": "2026年11月30日"},
                     idempotency_key="20261123-0007:accepted")


def test_adapter_fits_the_port() -> None:
    assert isinstance(TwilioSms("AC" + "1" * 32, "t", FROM), SmsProvider)


async def test_send_ok(fake: FakeTwilio) -> None:
    receipt = await adapter(fake).send(accepted())
    assert receipt.provider_id.startswith("SM") and len(receipt.provider_id) == 34
    assert receipt.status == "queued"
    [form] = fake.messages
    assert form["To"] == TO and form["From"] == FROM
    assert form["Body"] == "您反映的问题已受理，工单号20261123-0007，我们将于2026年11月30日前答复，请留意。"
    assert form["StatusCallback"] == CALLBACK


async def test_no_status_callback_is_not_sent(fake: FakeTwilio) -> None:
    await adapter(fake, status_callback=None).send(accepted())
    assert "StatusCallback" not in fake.messages[0]


async def test_bad_credentials_are_rejected(fake: FakeTwilio) -> None:
    with pytest.raises(SmsRejected) as info:
        await adapter(fake, token="wrong-token").send(accepted())
    assert info.value.error_id == "sms-rejected" and not info.value.retryable
    assert info.value.provider_code == "20003"
    assert fake.messages == []


async def test_server_error_is_retryable_then_succeeds(fake: FakeTwilio) -> None:
    sms, provider = accepted(), adapter(fake)
    fake.fail_next(1)
    with pytest.raises(SmsUnavailable) as info:
        await provider.send(sms)
    assert info.value.error_id == "sms-unavailable" and info.value.retryable
    receipt = await provider.send(sms)
    assert receipt.provider_id.startswith("SM")
    assert fake.requests == 2 and len(fake.messages) == 1


async def test_rate_limited_is_retryable(fake: FakeTwilio) -> None:
    fake.fail_next(1, status=429)
    with pytest.raises(SmsUnavailable):
        await adapter(fake).send(accepted())


async def test_invalid_number_is_rejected_with_twilio_code(fake: FakeTwilio) -> None:
    fake.reject_number("+8612345")
    with pytest.raises(SmsRejected) as info:
        await adapter(fake).send(accepted("+8612345"))
    assert info.value.provider_code == "21211"
    assert "21211" in info.value.detail


async def test_unreachable_provider_is_retryable() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = TwilioSms("AC" + "0" * 32, "t", FROM, base_url=f"http://127.0.0.1:{port}", timeout=2)
    with pytest.raises(SmsUnavailable):
        await provider.send(accepted())


async def test_errors_never_log_the_full_number(fake: FakeTwilio) -> None:
    fake.reject_number(TO)
    with pytest.raises(SmsRejected) as info:
        await adapter(fake).send(accepted())
    assert TO not in info.value.detail and "+86138****8000" in info.value.detail
    assert info.value.__cause__ is None and info.value.__suppress_context__
