"""AliyunSms against the local fake Dysmsapi endpoint, its signature against Aliyun's published
examples, and the adapter driven through the real outbox service."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.sms.aliyun_adapter import (
    MAX_OUT_ID,
    AliyunSms,
    out_id,
    parse_report,
    parse_report_batch,
    percent_encode,
    sign,
)
from callcenter.sms.outbox import SmsOutbox
from callcenter.sms.port import OutboundSms, SmsOutcomeUnknown, SmsProvider, SmsRejected, SmsUnavailable
from callcenter.sms.services import SmsService
from callcenter.sms.templates import build_sms
from callcenter.sms.webhooks import WebhookError
from tests.fake_aliyun import FakeAliyun, reference_signature

TO = "+8613800138000"
LOCAL = "13800138000"
CODES = {"order_accepted": "SMS_123456789", "fax_received": "SMS_123456790", "order_replied": "SMS_123456791",
         "order_closed": "SMS_123456792", "survey": "SMS_123456793"}
NOW = datetime(2026, 11, 23, 2, 0, 0, tzinfo=UTC)
PARAMS = {"order_no": "20261123-0007", "due_date": "2026年11月30日"}

# Aliyun's RPC signature documentation (help.aliyun.com/document_detail/28839, "签名机制"): GET
# DescribeRegions with AccessKeySecret "testsecret".
DOC_RPC = {"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
           "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0",
           "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26"}
# The SMS service's own HTTP signature example (GET SendSms, AccessKeySecret "testSecret").
DOC_SMS = {"AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
           "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
           "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
           "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
           "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25"}


@pytest.fixture
async def fake() -> AsyncIterator[FakeAliyun]:
    async with FakeAliyun() as server:
        yield server


def make(fake: FakeAliyun | None = None, *, secret: str | None = None, key_id: str | None = None,
         codes: dict[str, str] | None = None, timeout: float = 5, endpoint: str | None = None) -> AliyunSms:
    return AliyunSms(key_id or (fake.access_key_id if fake else "LTAI-x"),
                     secret or (fake.access_key_secret if fake else "s"), "直通热线",
                     CODES if codes is None else codes,
                     endpoint=endpoint or (fake.url if fake else "http://127.0.0.1:9/"), timeout=timeout,
                     clock=lambda: NOW)


@pytest.fixture
async def provider(fake: FakeAliyun) -> AsyncIterator[AliyunSms]:
    adapter = make(fake)
    yield adapter
    await adapter.close()


def accepted(to: str = TO, key: str = "20261123-0007:accepted") -> OutboundSms:
    return build_sms(to, "order_accepted", PARAMS, idempotency_key=key)


# -- the signature -------------------------------------------------------------------------------


def test_signature_matches_aliyun_rpc_doc_example() -> None:
    assert sign(DOC_RPC, "testsecret", "GET") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_signature_matches_aliyun_sms_doc_example() -> None:
    assert sign(DOC_SMS, "testSecret", "GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_post_signature_matches_a_hand_built_string_to_sign() -> None:
    # Written out by hand from the documented steps, independent of the adapter's code.
    string_to_sign = (
        "POST&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
        "%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    )
    expected = base64.b64encode(hmac.new(b"testsecret&", string_to_sign.encode(), hashlib.sha1).digest()).decode()
    assert sign(DOC_RPC, "testsecret") == expected == reference_signature("POST", DOC_RPC, "testsecret")
    assert sign({**DOC_RPC, "Signature": "ignored"}, "testsecret") == expected


def test_percent_encoding_follows_aliyun_rules() -> None:
    assert percent_encode("a b*c~d+e/f") == "a%20b%2Ac~d%2Be%2Ff"
    assert percent_encode("-_.~") == "-_.~"
    assert percent_encode("年") == "%E5%B9%B4"


def test_out_id_is_the_key_or_a_stable_short_digest() -> None:
    assert out_id("20261123-0007:accepted") == "20261123-0007:accepted"
    long_key = "survey:" + "x" * 113
    assert len(out_id(long_key)) <= MAX_OUT_ID and out_id(long_key) == out_id(long_key)
    assert out_id(long_key) != out_id(long_key[:-1] + "y")
    assert len(out_id("工单 7")) <= MAX_OUT_ID and " " not in out_id("工单 7")


# -- sending -------------------------------------------------------------------------------------


def test_adapter_fits_the_port() -> None:
    assert isinstance(make(), SmsProvider)


async def test_send_ok(fake: FakeAliyun, provider: AliyunSms) -> None:
    receipt = await provider.send(accepted())
    [params] = fake.messages
    assert receipt.provider_id == fake.biz_ids[0] and receipt.status == "queued"
    assert params["PhoneNumbers"] == LOCAL  # the fake verified the signature before recording it
    assert params["TemplateCode"] == "SMS_123456789" and params["SignName"] == "直通热线"
    assert params["TemplateParam"] == '{"order_no":"20261123-0007","due_date":"2026年11月30日"}'
    assert json.loads(params["TemplateParam"]) == PARAMS
    assert params["OutId"] == "20261123-0007:accepted"
    assert params["Timestamp"] == "2026-11-23T02:00:00Z" and params["RegionId"] == "cn-hangzhou"
    assert fake.methods == ["POST"] and fake.raw_queries == [""]  # the number is never in a URL


async def test_timestamp_is_utc_whatever_the_clock_zone(fake: FakeAliyun) -> None:
    beijing = NOW.astimezone(timezone(timedelta(hours=8)))
    adapter = AliyunSms(fake.access_key_id, fake.access_key_secret, "直通热线", CODES, endpoint=fake.url,
                        clock=lambda: beijing)
    try:
        await adapter.send(accepted())
    finally:
        await adapter.close()
    assert fake.messages[0]["Timestamp"] == "2026-11-23T02:00:00Z"


async def test_each_request_has_a_fresh_nonce(fake: FakeAliyun, provider: AliyunSms) -> None:
    await provider.send(accepted())
    await provider.send(accepted(key="20261123-0008:accepted"))
    assert fake.messages[0]["SignatureNonce"] != fake.messages[1]["SignatureNonce"]


async def test_wrong_secret_is_rejected_by_the_signature_check(fake: FakeAliyun) -> None:
    adapter = make(fake, secret="wrong-secret")
    try:
        with pytest.raises(SmsRejected) as info:
            await adapter.send(accepted())
    finally:
        await adapter.close()
    assert info.value.provider_code == "SignatureDoesNotMatch" and not info.value.retryable
    assert fake.requests == 1 and fake.messages == []


async def test_unknown_access_key_is_rejected(fake: FakeAliyun) -> None:
    adapter = make(fake, key_id="LTAI-unknown")
    try:
        with pytest.raises(SmsRejected) as info:
            await adapter.send(accepted())
    finally:
        await adapter.close()
    assert info.value.provider_code == "InvalidAccessKeyId.NotFound"


@pytest.mark.parametrize("code", ["isv.MOBILE_NUMBER_ILLEGAL", "isv.TEMPLATE_MISSING_PARAMETERS",
                                  "isv.SMS_TEMPLATE_ILLEGAL", "isv.SMS_SIGNATURE_ILLEGAL", "isv.INVALID_PARAMETERS",
                                  "isp.RAM_PERMISSION_DENY", "isv.SOMETHING_NEW"])
async def test_permanent_codes_are_rejected(fake: FakeAliyun, provider: AliyunSms, code: str) -> None:
    fake.reply_next(code)
    with pytest.raises(SmsRejected) as info:
        await provider.send(accepted())
    assert info.value.provider_code == code and info.value.error_id == "sms-rejected"
    assert code in info.value.detail and "RequestId" in info.value.detail


@pytest.mark.parametrize("code", ["isv.BUSINESS_LIMIT_CONTROL", "isp.SYSTEM_ERROR", "Throttling.User",
                                  "isv.AMOUNT_NOT_ENOUGH"])
async def test_transient_codes_are_retryable_then_succeed(fake: FakeAliyun, provider: AliyunSms, code: str) -> None:
    fake.reply_next(code)
    with pytest.raises(SmsUnavailable) as info:
        await provider.send(accepted())
    assert info.value.provider_code == code and info.value.retryable
    assert (await provider.send(accepted())).provider_id == fake.biz_ids[0]
    assert fake.requests == 2 and len(fake.messages) == 1


async def test_server_error_is_retryable(fake: FakeAliyun, provider: AliyunSms) -> None:
    fake.fail_next(1)
    with pytest.raises(SmsUnavailable) as info:
        await provider.send(accepted())
    assert "HTTP 500" in info.value.detail and info.value.provider_code is None


async def test_connection_refused_is_retryable() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    adapter = make(endpoint=f"http://127.0.0.1:{port}/", timeout=2)
    try:
        with pytest.raises(SmsUnavailable):
            await adapter.send(accepted())
    finally:
        await adapter.close()


async def test_no_answer_is_outcome_unknown(fake: FakeAliyun) -> None:
    fake.hang_next(1)
    adapter = make(fake, timeout=0.3)
    try:
        with pytest.raises(SmsOutcomeUnknown) as info:
            await adapter.send(accepted())
    finally:
        await adapter.close()
    assert info.value.error_id == "sms-outcome-unknown" and not info.value.retryable
    assert fake.requests == 1


async def test_unknown_template_is_rejected_without_a_request(fake: FakeAliyun) -> None:
    adapter = make(fake, codes={"survey": "SMS_1"})
    try:
        with pytest.raises(SmsRejected) as info:
            await adapter.send(accepted())
    finally:
        await adapter.close()
    assert "order_accepted" in info.value.detail
    assert fake.requests == 0


@pytest.mark.parametrize("to", ["+15005550006", "+862088886666", "+85291234567", LOCAL, "+86138001380001"])
async def test_non_mainland_mobile_is_rejected_without_a_request(fake: FakeAliyun, provider: AliyunSms,
                                                                 to: str) -> None:
    sms = OutboundSms(to=to, template="order_accepted", params=PARAMS, text="-", idempotency_key="k")
    with pytest.raises(SmsRejected) as info:
        await provider.send(sms)
    assert to not in info.value.detail
    assert fake.requests == 0


async def test_errors_and_logs_never_hold_the_full_number(fake: FakeAliyun, provider: AliyunSms,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[Exception] = []
    for code in ("isv.MOBILE_NUMBER_ILLEGAL", "isv.BUSINESS_LIMIT_CONTROL"):
        fake.reply_next(code)  # the fake quotes the number back in its Message
        with pytest.raises((SmsRejected, SmsUnavailable)) as info:
            await provider.send(accepted())
        errors.append(info.value)
    with pytest.raises(SmsRejected) as other:
        await provider.send(accepted("+15005550006"))
    errors.append(other.value)
    await provider.send(accepted())
    texts = [str(e) for e in errors] + [r.getMessage() for r in caplog.records]
    assert caplog.records and all(LOCAL not in t and "15005550006" not in t for t in texts)
    assert "138****8000" in str(errors[0])
    # No chained provider exception that a logged traceback could print.
    assert all(e.__cause__ is None and (e.__context__ is None or e.__suppress_context__) for e in errors)


# -- delivery reports ----------------------------------------------------------------------------

REPORT = {"phone_number": LOCAL, "send_time": "2026-11-23 10:00:00", "report_time": "2026-11-23 10:00:05",
          "success": True, "err_code": "DELIVERED", "err_msg": "用户接收成功", "sms_size": "1",
          "biz_id": "900619746936498401^0", "out_id": "20261123-0007:accepted"}


def test_parse_report_success() -> None:
    status = parse_report(REPORT)
    assert (status.message_sid, status.status, status.error_code) == ("900619746936498401^0", "delivered", None)
    assert status.final and not status.failed


def test_parse_report_failure_keeps_the_carrier_code() -> None:
    status = parse_report({**REPORT, "success": False, "err_code": "MK:0000", "err_msg": "空号"})
    assert (status.status, status.error_code) == ("undelivered", "MK:0000") and status.failed
    assert parse_report({**REPORT, "success": False, "err_code": ""}).error_code is None


@pytest.mark.parametrize("item", [
    {k: v for k, v in REPORT.items() if k != "biz_id"}, {**REPORT, "biz_id": " "}, {**REPORT, "biz_id": 7},
    {k: v for k, v in REPORT.items() if k != "success"}, {**REPORT, "success": "true"}, ["not", "an", "object"],
])
def test_parse_report_rejects_bad_items(item: object) -> None:
    with pytest.raises(WebhookError):
        parse_report(item)  # type: ignore[arg-type]


def test_parse_report_batch() -> None:
    assert [s.status for s in parse_report_batch([REPORT, {**REPORT, "success": False}])] == [
        "delivered", "undelivered"]
    with pytest.raises(WebhookError):
        parse_report_batch(REPORT)


# -- through the outbox --------------------------------------------------------------------------


async def test_outbox_sends_through_aliyun_and_applies_the_report(engine: AsyncEngine, fake: FakeAliyun,
                                                                  provider: AliyunSms) -> None:
    service = SmsService(SmsOutbox(engine), provider, lambda: NOW)
    queued = await service.queue("138-0013-8000", "order_accepted", PARAMS, key="20261123-0007:accepted",
                                 order_number="20261123-0007")
    assert queued is not None and queued.status == "pending"
    report = await service.run_due()
    assert report.sent == 1 and not report.failed
    assert (await service.run_due()).sent == 0
    [params] = fake.messages
    assert fake.requests == 1 and params["PhoneNumbers"] == LOCAL and params["OutId"] == "20261123-0007:accepted"
    row = await service.outbox.get(queued.id)
    assert row is not None
    assert (row.status, row.provider, row.provider_id) == ("sent", "aliyun", fake.biz_ids[0])

    done = await service.on_status(parse_report({**REPORT, "biz_id": fake.biz_ids[0]}))
    assert done is not None and done.status == "delivered"
    row = await service.outbox.get(queued.id)
    assert row is not None and row.status == "delivered" and row.error_id is None and row.final_at is not None
