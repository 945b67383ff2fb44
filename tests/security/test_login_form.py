"""The session cookie is Secure whenever the public URL is https (issue 11, finding 7), also when
TLS ends at a proxy in front of the app (request.secure is then False)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from http.cookies import SimpleCookie

import aiohttp
import pytest

from tests.api_helpers import PASSWORD, Api, start_api
from tests.security.web_login import post_login


def cookies_set(resp: aiohttp.ClientResponse) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for header in resp.headers.getall("Set-Cookie", ()):
        jar.load(header)
    return jar


@pytest.fixture
async def https_api(db_url: str) -> AsyncIterator[Api]:
    """Behind a TLS-terminating proxy: the app itself is reached over plain http."""
    async for api in start_api(db_url, public_url="https://hotline.example.gov.cn"):
        yield api


async def test_the_session_cookie_is_secure_when_the_public_url_is_https(https_api: Api) -> None:
    resp = await post_login(https_api.client, "agent", PASSWORD)
    assert resp.status == 303
    session = cookies_set(resp)["zt_session"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Strict"


@pytest.fixture
async def http_api(db_url: str) -> AsyncIterator[Api]:
    async for api in start_api(db_url):
        yield api


async def test_without_an_https_public_url_plain_http_keeps_working(http_api: Api) -> None:
    resp = await post_login(http_api.client, "agent", PASSWORD)
    assert resp.status == 303 and not cookies_set(resp)["zt_session"]["secure"]
