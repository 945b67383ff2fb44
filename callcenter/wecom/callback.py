"""Checks a WeCom callback request before anything is decrypted or stored (pure but for the clock).

Every refusal is a typed error with a stable ``error_id``: a bad or missing signature and a stale
timestamp are 403, anything malformed (parameters, XML, base64, padding, another CorpID) is 400.
"""

from __future__ import annotations

import re
from datetime import datetime

from callcenter.http.problems import BadRequest, Forbidden

from .config import CallbackConfig
from .crypto import WeComCryptoError
from .xml import UnsafeXml, parse_flat

_SIGNATURE = re.compile(r"[0-9a-fA-F]{40}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_NONCE = re.compile(r"[0-9A-Za-z_-]{1,64}")
FORBIDDEN_IDS = frozenset({"wecom-bad-signature"})


def signed_params(query: dict[str, str], config: CallbackConfig, now: datetime) -> tuple[str, str, str]:
    sig, ts, nonce = (query.get(k, "") for k in ("msg_signature", "timestamp", "nonce"))
    if not _SIGNATURE.fullmatch(sig):
        raise Forbidden("msg_signature is missing or malformed", error_id="wecom-bad-signature")
    if not _TIMESTAMP.fullmatch(ts) or not _NONCE.fullmatch(nonce):
        raise BadRequest("timestamp or nonce is missing or malformed", error_id="wecom-bad-request")
    if abs(now.timestamp() - int(ts)) > config.max_skew.total_seconds():
        raise Forbidden("the callback's timestamp is outside the accepted window", error_id="wecom-stale")
    return sig, ts, nonce


def opened(config: CallbackConfig, sig: str, ts: str, nonce: str, encrypt: str) -> bytes:
    assert config.crypto is not None
    try:
        return config.crypto.open(sig, ts, nonce, encrypt)
    except WeComCryptoError as exc:
        cls = Forbidden if exc.error_id in FORBIDDEN_IDS else BadRequest
        raise cls(exc.detail, error_id=exc.error_id) from None


def xml_fields(data: bytes) -> dict[str, str]:
    try:
        return parse_flat(data)
    except UnsafeXml as exc:
        raise BadRequest(exc.detail, error_id=exc.error_id) from None


def message_fields(config: CallbackConfig, query: dict[str, str], body: bytes, now: datetime) -> dict[str, str]:
    """The decrypted message of a POSTed callback, as tag → text."""
    sig, ts, nonce = signed_params(query, config, now)
    encrypt = xml_fields(body).get("Encrypt", "")
    if not encrypt:
        raise BadRequest("the callback has no Encrypt element", error_id="wecom-bad-request")
    return xml_fields(opened(config, sig, ts, nonce, encrypt))
