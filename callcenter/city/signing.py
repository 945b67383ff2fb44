"""The interface's request signature (pure): HMAC-SHA256 over ``timestamp + "\n" + raw body``.

Both directions use it: the city signs its transfers, we sign our status updates. Headers:
``X-City-Timestamp`` (Unix seconds) and ``X-City-Signature`` (``v1=<64 hex digits>``; several,
comma-separated, are allowed while a sender rotates). Any of our configured secrets may match, so a
secret is rotated by configuring the new one beside the old, then dropping the old.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from datetime import datetime

from .errors import CityBadRequest, CityUnauthenticated

TIMESTAMP_HEADER = "X-City-Timestamp"
SIGNATURE_HEADER = "X-City-Signature"
SCHEME = "v1"
WINDOW_S = 300  # a request more than 5 minutes old or ahead is refused: replays and bad clocks
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^v1=([0-9a-f]{64})$")


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}\n".encode() + body, hashlib.sha256)
    return f"{SCHEME}={mac.hexdigest()}"


def signed_headers(secret: str, now: datetime, body: bytes) -> dict[str, str]:
    timestamp = int(now.timestamp())
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, timestamp, body),
            "Content-Type": "application/json; charset=utf-8"}


def verify(secrets: Sequence[str], timestamp: str | None, signatures: str | None, body: bytes, now: datetime,
           window_s: int = WINDOW_S) -> int:
    """The request's timestamp if one of ``signatures`` is ``body``'s under one of ``secrets`` and the
    timestamp lies within ``window_s`` of ``now``; otherwise a typed error saying which check failed."""
    if not timestamp or not signatures:
        raise CityUnauthenticated(f"{TIMESTAMP_HEADER} and {SIGNATURE_HEADER} are required",
                                  error_id="city-signature-missing")
    if not _TIMESTAMP.match(timestamp.strip()):
        raise CityBadRequest(f"{TIMESTAMP_HEADER} must be Unix seconds, e.g. 1764000000",
                             error_id="city-timestamp-invalid")
    sent = int(timestamp.strip())
    if abs(now.timestamp() - sent) > window_s:
        raise CityUnauthenticated(f"{TIMESTAMP_HEADER} is more than {window_s} s from the server's time",
                                  error_id="city-timestamp-stale")
    given = [m.group(1) for part in signatures.split(",") if (m := _SIGNATURE.match(part.strip()))]
    # Every candidate is compared in constant time; the secrets are tried in turn (at most a few).
    expected = [signature(s, sent, body).removeprefix(f"{SCHEME}=") for s in secrets if s]
    if not any(hmac.compare_digest(g, e) for g in given for e in expected):
        raise CityUnauthenticated("the signature does not match the body and timestamp")
    return sent
