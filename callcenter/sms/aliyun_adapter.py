"""Aliyun SMS (阿里云短信服务, Dysmsapi 2017-05-25 ``SendSms``) adapter for the SMS port.

Mainland numbers need a template provider: Aliyun only sends texts registered in advance (a
TemplateCode with ``${name}`` variables) under an approved signature (SignName), so this adapter
sends the template half of ``OutboundSms`` (name -> TemplateCode, params -> TemplateParam) and
ignores the rendered text, which stays in the outbox for the audit trail.

The RPC API is called directly with aiohttp and a hand-written signature (v1, HMAC-SHA1) rather
than through Aliyun's SDK: one action does not justify the SDK's dependency tree, and a pure
``sign`` function can be checked against Aliyun's published example.

Aliyun does not deduplicate SendSms (its documentation says the API is not idempotent): OutId
is only echoed back in delivery reports. A read timeout therefore ends as SmsOutcomeUnknown and
the outbox never resends it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import aiohttp

from callcenter.sms.port import OutboundSms, SendReceipt, SmsOutcomeUnknown, SmsRejected, SmsUnavailable
from callcenter.sms.privacy import mask_phone
from callcenter.sms.webhooks import DeliveryStatus, WebhookError

logger = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
API_VERSION = "2017-05-25"
REGION_ID = "cn-hangzhou"
# Aliyun documents no length for OutId; other Aliyun communication APIs cap it far below our
# 120-character keys, so longer keys are shortened deterministically (see ``out_id``).
MAX_OUT_ID = 64

_MAINLAND_MOBILE = re.compile(r"^\+86(1[3-9]\d{9})$")
_OUT_ID_SAFE = re.compile(r"^[A-Za-z0-9_.:~-]+$")

# Codes that clear up by themselves. Flow control (per-number and per-account limits) lifts
# after minutes to a day; an overdrawn or suspended account starts sending again once someone
# tops it up, and the message itself is fine, so the outbox keeps it (its retries are capped).
_RETRYABLE_CODES = frozenset({
    "isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "isv.AMOUNT_NOT_ENOUGH", "isv.OUT_OF_SERVICE",
    "ServiceUnavailable", "InternalError",
})
# Aliyun-side faults (``isp.*``) and API throttling are transient too, except a RAM policy that
# does not allow dysms:SendSms: that is our deployment's error and fails every message alike.
_RETRYABLE_PREFIXES = ("isp.", "Throttling")
_PERMANENT_CODES = frozenset({"isp.RAM_PERMISSION_DENY"})


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Aliyun's signature wants it: only A-Z a-z 0-9 - _ . ~ stay as they
    are, a space is %20 (not +), ``*`` is %2A; UTF-8 for everything else."""
    return quote(value, safe="~")


def canonicalized_query(params: Mapping[str, str]) -> str:
    """The sorted, percent-encoded ``key=value&...`` string the signature covers."""
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def sign(params: Mapping[str, str], secret: str, method: str = "POST") -> str:
    """Signature v1 over every parameter except ``Signature`` itself.

    StringToSign = METHOD & %2F & percentEncode(canonicalized query); the key is the secret plus
    "&". Pure, so it is tested against Aliyun's documented example vectors.
    """
    unsigned = {k: v for k, v in params.items() if k != "Signature"}
    string_to_sign = f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonicalized_query(unsigned))}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def mainland_number(to: str) -> str | None:
    """``+8613800138000`` -> ``13800138000``; None for anything that is not a mainland mobile."""
    m = _MAINLAND_MOBILE.match(to)
    return m.group(1) if m else None


def out_id(idempotency_key: str) -> str:
    """The OutId for a message: the idempotency key itself when short and plain, else a prefix
    plus a hash of the whole key, so the same message always carries the same OutId and two
    messages never share one."""
    if len(idempotency_key) <= MAX_OUT_ID and _OUT_ID_SAFE.match(idempotency_key):
        return idempotency_key
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
    prefix = re.sub(r"[^A-Za-z0-9_.:~-]", "_", idempotency_key)[: MAX_OUT_ID - len(digest) - 1]
    return f"{prefix}~{digest}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AliyunSms:
    name = "aliyun"

    def __init__(self, access_key_id: str, access_key_secret: str, sign_name: str,
                 template_codes: Mapping[str, str], *, endpoint: str = DEFAULT_ENDPOINT, timeout: float = 10.0,
                 clock: Callable[[], datetime] = _utc_now,
                 nonce: Callable[[], str] = lambda: uuid.uuid4().hex) -> None:
        if not (access_key_id and access_key_secret and sign_name):
            raise ValueError("Aliyun SMS needs an AccessKey id, its secret and a signature name")
        self.access_key_id = access_key_id
        self._secret = access_key_secret
        self.sign_name = sign_name
        self.template_codes = dict(template_codes)
        self.endpoint = endpoint
        # Connect and read limits apart, so a refused or slow connect (never reached Aliyun, safe
        # to retry) is told from a missing answer (may have been sent, never retried).
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=timeout, sock_read=timeout)
        self._clock = clock
        self._nonce = nonce
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        # Created on first use: a ClientSession binds to the running loop, which does not exist
        # yet when the composition root builds the provider.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    def request_params(self, sms: OutboundSms) -> dict[str, str]:
        """Common + action parameters, signed. Raises SmsRejected before any I/O for messages
        Aliyun could never send (an unmapped template, a number outside the mainland)."""
        code = self.template_codes.get(sms.template)
        if not code:
            raise SmsRejected(f"no Aliyun TemplateCode configured for template {sms.template!r}")
        phone = mainland_number(sms.to)
        if phone is None:
            raise SmsRejected(f"Aliyun adapter only sends to mainland mobiles, not {mask_phone(sms.to)}")
        params = {
            "AccessKeyId": self.access_key_id, "Action": "SendSms", "Format": "JSON", "RegionId": REGION_ID,
            "SignatureMethod": "HMAC-SHA1", "SignatureNonce": self._nonce(), "SignatureVersion": "1.0",
            "Timestamp": self._clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": API_VERSION,
            "PhoneNumbers": phone, "SignName": self.sign_name, "TemplateCode": code,
            "TemplateParam": json.dumps(dict(sms.params), ensure_ascii=False, separators=(",", ":")),
            "OutId": out_id(sms.idempotency_key),
        }
        params["Signature"] = sign(params, self._secret, "POST")
        return params

    async def send(self, sms: OutboundSms) -> SendReceipt:
        params = self.request_params(sms)
        # In the body, not the query string: proxies and access logs keep URLs, and the URL would
        # hold the citizen's number.
        body = canonicalized_query(params)
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8", "Accept": "application/json"}
        try:
            async with self._get_session().post(self.endpoint, data=body.encode(), headers=headers) as response:
                status, text = response.status, await response.text()
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            # Refused, DNS, connect timeout: the request never reached Aliyun, a retry is safe.
            raise SmsUnavailable(f"Aliyun unreachable: {type(exc).__name__}") from None
        except aiohttp.InvalidURL:
            raise SmsRejected(f"Aliyun endpoint is not a valid URL: {self.endpoint!r}") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Read timeout, dropped connection: the message may have gone out; SendSms has no
            # idempotency, so resending could text the citizen twice.
            raise SmsOutcomeUnknown(f"no answer from Aliyun: {type(exc).__name__}") from None
        return self._receipt(sms, status, text)

    def _receipt(self, sms: OutboundSms, status: int, text: str) -> SendReceipt:
        try:
            answer: Any = json.loads(text)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            detail = f"Aliyun answered HTTP {status} without a JSON body"
            if status >= 500:
                raise SmsUnavailable(detail)
            if status >= 400:
                raise SmsRejected(detail)
            raise SmsOutcomeUnknown(detail)  # a 2xx we cannot read: it may have been accepted
        code = str(answer.get("Code") or "")
        if status < 300 and code == "OK" and answer.get("BizId"):
            biz_id = str(answer["BizId"])
            logger.info("SMS %s to %s accepted by Aliyun as %s", sms.template, mask_phone(sms.to), biz_id)
            return SendReceipt(provider_id=biz_id, status="queued")
        message = _masked(str(answer.get("Message") or ""), sms.to)
        detail = (f"Aliyun answered HTTP {status} ({code or 'no code'}) for {mask_phone(sms.to)}: {message}"
                  f" [RequestId {answer.get('RequestId') or '-'}]")
        logger.warning("SMS %s to %s not accepted by Aliyun: %s", sms.template, mask_phone(sms.to), code or status)
        if code in _PERMANENT_CODES:
            raise SmsRejected(detail, provider_code=code)
        if status >= 500 or code in _RETRYABLE_CODES or code.startswith(_RETRYABLE_PREFIXES):
            raise SmsUnavailable(detail, provider_code=code or None)
        raise SmsRejected(detail, provider_code=code or None)


def _masked(text: str, to: str) -> str:
    """``text`` with the number in any form it may be quoted in (E.164 or 11 digits) masked."""
    text = text.replace(to, mask_phone(to))
    local = mainland_number(to)
    return text.replace(local, mask_phone(local)) if local else text


def parse_report(item: Mapping[str, Any]) -> DeliveryStatus:
    """One entry of Aliyun's SmsReport push (an HTTP POST of a JSON array) as a DeliveryStatus.

    Aliyun sets ``err_code`` to "DELIVERED" on success too, so the code is kept only for failures:
    the outbox marks a row with an error whenever a status carries a code.
    """
    if not isinstance(item, Mapping):
        raise WebhookError("an SmsReport item must be a JSON object")
    biz_id = item.get("biz_id")
    if not isinstance(biz_id, str) or not biz_id.strip():
        raise WebhookError("missing field biz_id")
    success = item.get("success")
    if not isinstance(success, bool):
        raise WebhookError("field success must be true or false")
    err_code = item.get("err_code")
    code = str(err_code).strip() if err_code is not None and not success else ""
    return DeliveryStatus(message_sid=biz_id.strip(), status="delivered" if success else "undelivered",
                          error_code=code or None)


def parse_report_batch(payload: Any) -> list[DeliveryStatus]:
    """The whole SmsReport body (a JSON array); one bad item fails the batch, answered 400."""
    if not isinstance(payload, list):
        raise WebhookError("an SmsReport body must be a JSON array")
    return [parse_report(item) for item in payload]
