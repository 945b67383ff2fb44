"""The city interface's HMAC signature (pure): what is signed, the time window, rotation."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from callcenter.city.errors import CityBadRequest, CityUnauthenticated
from callcenter.city.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, signature, signed_headers, verify

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
TS = int(NOW.timestamp())
NEW, OLD = "n" * 32, "o" * 32
BODY = '{"city_order_id":"SZ-1","subject":"道路施工"}'.encode()


def test_the_signature_is_hmac_sha256_over_timestamp_newline_body() -> None:
    expected = hmac.new(NEW.encode(), f"{TS}\n".encode() + BODY, hashlib.sha256).hexdigest()
    assert signature(NEW, TS, BODY) == f"v1={expected}"
    headers = signed_headers(NEW, NOW, BODY)
    assert headers[TIMESTAMP_HEADER] == str(TS) and headers[SIGNATURE_HEADER] == f"v1={expected}"
    assert verify([NEW], headers[TIMESTAMP_HEADER], headers[SIGNATURE_HEADER], BODY, NOW) == TS


def test_either_configured_secret_verifies_while_a_secret_is_rotated() -> None:
    assert verify([NEW, OLD], str(TS), signature(OLD, TS, BODY), BODY, NOW) == TS
    assert verify([NEW, OLD], str(TS), signature(NEW, TS, BODY), BODY, NOW) == TS
    several = f"v1={'0' * 64}, {signature(OLD, TS, BODY)}"  # a sender signing with both during its rotation
    assert verify([OLD], str(TS), several, BODY, NOW) == TS
    with pytest.raises(CityUnauthenticated) as err:
        verify([NEW], str(TS), signature(OLD, TS, BODY), BODY, NOW)  # the old one, once dropped
    assert err.value.error_id == "city-signature-invalid"


@pytest.mark.parametrize("change", ["body", "timestamp", "hex-case", "scheme", "truncated"])
def test_anything_changed_breaks_the_signature(change: str) -> None:
    sig, body, ts = signature(NEW, TS, BODY), BODY, TS
    if change == "body":
        body = BODY.replace(b"SZ-1", b"SZ-2")
    elif change == "timestamp":
        ts = TS + 1
    elif change == "hex-case":
        sig = sig.upper().replace("V1=", "v1=")
    elif change == "scheme":
        sig = sig.replace("v1=", "v2=")
    else:
        sig = sig[:-2]
    with pytest.raises(CityUnauthenticated) as err:
        verify([NEW], str(ts), sig, body, NOW)
    assert err.value.error_id == "city-signature-invalid"


@pytest.mark.parametrize("skew", [301, -301, 86400 * 365])
def test_stale_and_future_timestamps_are_refused_even_when_correctly_signed(skew: int) -> None:
    sent = TS - skew
    with pytest.raises(CityUnauthenticated) as err:
        verify([NEW], str(sent), signature(NEW, sent, BODY), BODY, NOW)
    assert err.value.error_id == "city-timestamp-stale"
    assert verify([NEW], str(TS - 300), signature(NEW, TS - 300, BODY), BODY, NOW) == TS - 300  # the edge


@pytest.mark.parametrize("ts", ["", None])
def test_missing_headers(ts: str | None) -> None:
    with pytest.raises(CityUnauthenticated) as err:
        verify([NEW], ts, signature(NEW, TS, BODY), BODY, NOW)
    assert err.value.error_id == "city-signature-missing"
    with pytest.raises(CityUnauthenticated):
        verify([NEW], str(TS), None, BODY, NOW)


@pytest.mark.parametrize("ts", ["17.5", "-1", "1e9", "１７６４", "9" * 40, "now"])
def test_a_timestamp_that_is_not_unix_seconds_is_a_bad_request(ts: str) -> None:
    with pytest.raises(CityBadRequest) as err:
        verify([NEW], ts, signature(NEW, TS, BODY), BODY, NOW)
    assert err.value.error_id == "city-timestamp-invalid"


def test_no_secret_verifies_nothing() -> None:
    with pytest.raises(CityUnauthenticated):
        verify([], str(TS), signature("", TS, BODY), BODY, NOW)
