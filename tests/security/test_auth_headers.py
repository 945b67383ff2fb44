"""Hostile Authorization headers and session cookies: a clear 401 (or a login redirect), never a
5xx, and the credential is never echoed back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.api_helpers import Api, start_api
from tests.security.raw_http import raw_request

SECRET = b"S3cretTokenValue"


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[Api]:
    async for api in start_api(db_url):
        yield api


def port(api: Api) -> int:
    return api.client.server.port  # type: ignore[no-any-return]


@pytest.mark.parametrize("value", [
    b"Bearer " + SECRET + b"\xff\xfe",                  # not UTF-8
    b"Bearer \xe4\xb8\xad" + SECRET,                   # UTF-8, but no token has such characters
    b"Bearer " + SECRET + b" " + SECRET,                # two words
    b"Bearer " + SECRET[:5],                            # too short to be one of ours
    b"Bearer " + SECRET * 20,                           # too long
    b"Bearer " + SECRET + b"%00",
])
async def test_malformed_bearer_tokens_are_a_401_without_the_token(api: Api, value: bytes) -> None:
    status, response = await raw_request(port(api), b"GET /api/v1/me HTTP/1.1\r\nAuthorization: " + value)
    assert status == 401, response
    assert b'"error_id": "unauthenticated"' in response
    assert SECRET not in response


@pytest.mark.parametrize("value", [SECRET + b"\xff", b"\xe4\xb8\xad\xe6\x96\x87", b'"' + SECRET, SECRET + b";;=="])
async def test_malformed_session_cookies_lead_to_the_login_page(api: Api, value: bytes) -> None:
    status, response = await raw_request(port(api), b"GET /agent HTTP/1.1\r\nCookie: zt_session=" + value)
    assert status == 303, response
    assert b"Location: /login?next=" in response
    status, response = await raw_request(
        port(api), b"POST /orders/new HTTP/1.1\r\nContent-Length: 0\r\nCookie: zt_session=" + value)
    assert status == 401, response
    assert SECRET not in response


async def test_a_well_formed_token_still_works(api: Api) -> None:
    status, response = await raw_request(
        port(api), b"GET /api/v1/me HTTP/1.1\r\nAuthorization: Bearer " + api.tokens["agent"].encode())
    assert status == 200, response
