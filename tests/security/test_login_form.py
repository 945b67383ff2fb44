"""The login form (issue 11, finding 7): a forged login POST is refused (CSRF before there is a
session), and the cookies are Secure whenever the public URL is https."""

from __future__ import annotations

from collections.abc import AsyncIterator
from http.cookies import SimpleCookie

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.app import build_app
from callcenter.settings import Settings
from tests.api_helpers import PASSWORD, Api, start_api
from tests.security.web_login import csrf_of, post_login


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[Api]:
    async for api in start_api(db_url):
        yield api


def cookies_set(resp: aiohttp.ClientResponse) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for header in resp.headers.getall("Set-Cookie", ()):
        jar.load(header)
    return jar


async def forged(api: Api, **cookies: str) -> aiohttp.ClientResponse:
    """What another site's page can make a browser send: the form, without our page's token."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as browser:
        data = {"username": "agent", "password": PASSWORD, "_csrf": cookies.pop("_form", "")}
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        resp = await browser.post(api.client.make_url("/login"), data=data, headers=headers, allow_redirects=False)
        await resp.read()
        return resp


async def test_a_forged_login_post_is_refused(api: Api) -> None:
    resp = await forged(api)
    assert resp.status == 403
    assert "zt_session" not in cookies_set(resp)


async def test_a_token_from_another_browser_is_refused(api: Api) -> None:
    attacker = await api.client.get("/login")  # the attacker loads the form himself ...
    token = csrf_of(await attacker.text())
    assert token
    resp = await forged(api, _form=token)  # ... but the victim's browser has no (or another) login cookie
    assert resp.status == 403 and "zt_session" not in cookies_set(resp)
    resp = await forged(api, _form=token, zt_login="A" * 43)
    assert resp.status == 403 and "zt_session" not in cookies_set(resp)


async def test_a_made_up_cookie_and_token_pair_is_refused(api: Api) -> None:
    import hashlib
    import hmac

    nonce = "B" * 43
    guess = hmac.new(b"", b"zhitong-login-form:" + nonce.encode(), hashlib.sha256).hexdigest()
    resp = await forged(api, _form=guess, zt_login=nonce)
    assert resp.status == 403 and "zt_session" not in cookies_set(resp)


async def test_the_login_form_works_and_a_refused_one_offers_a_fresh_form(api: Api) -> None:
    client = api.client
    resp = await client.post("/login", data={"username": "agent", "password": PASSWORD}, allow_redirects=False)
    text = await resp.text()
    assert resp.status == 403 and "登录页面已过期" in text
    token = csrf_of(text)  # the refusal is a working login form again
    resp = await client.post("/login", data={"username": "agent", "password": PASSWORD, "_csrf": token},
                             allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/agent"


async def test_a_forged_login_is_not_counted_as_a_failed_one(api: Api) -> None:
    for _ in range(12):  # more than the account's lock limit
        assert (await forged(api)).status == 403
    assert (await post_login(api.client, "agent")).status == 303


async def test_the_form_of_one_node_is_accepted_by_another(api: Api, db_url: str) -> None:
    other = TestClient(TestServer(build_app(Settings(database_url=db_url), telephony=False), host="127.0.0.1"))
    await other.start_server()
    try:
        form = await api.client.get("/login")
        token = csrf_of(await form.text())
        nonce = api.client.session.cookie_jar.filter_cookies(api.client.make_url("/login"))["zt_login"].value
        resp = await other.post("/login", data={"username": "agent", "password": PASSWORD, "_csrf": token},
                                headers={"Cookie": f"zt_login={nonce}"}, allow_redirects=False)
        assert resp.status == 303, await resp.text()
    finally:
        await other.close()


async def test_the_login_cookie_is_httponly_strict_and_only_for_the_login_page(api: Api) -> None:
    form = await api.client.get("/login")
    cookie = cookies_set(form)["zt_login"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/login"
    assert not cookie["secure"]  # plain http on 127.0.0.1: a Secure cookie would never come back
    resp = await post_login(api.client, "agent")
    assert resp.status == 303 and not cookies_set(resp)["zt_session"]["secure"]


@pytest.fixture
async def https_api(db_url: str) -> AsyncIterator[Api]:
    """Behind a TLS-terminating proxy: the app itself is reached over plain http."""
    async for api in start_api(db_url, public_url="https://hotline.example.gov.cn"):
        yield api


async def test_cookies_are_secure_when_the_public_url_is_https(https_api: Api) -> None:
    form = await https_api.client.get("/login")
    assert cookies_set(form)["zt_login"]["secure"]
    nonce = cookies_set(form)["zt_login"].value
    resp = await https_api.client.post(
        "/login", data={"username": "agent", "password": PASSWORD, "_csrf": csrf_of(await form.text())},
        headers={"Cookie": f"zt_login={nonce}"}, allow_redirects=False)
    assert resp.status == 303
    session = cookies_set(resp)["zt_session"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Strict"
