"""`zhitong serve` as a real process (issue 11, finding 7): SIGTERM with an event stream open stops
within seconds, and credentials in malformed requests are neither echoed nor logged."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp

from tests.security.raw_http import raw_request
from tests.security.web_login import csrf_of
from tests.serve_helpers import ADMIN_PASSWORD, serving

QUIET_SERVICE = {"ZHITONG_LOG_LEVEL": "DEBUG", "ZHITONG_ACCESS_LOG": "1", "ZHITONG_SPEECH": "off",
                 "ZHITONG_FAX_OCR": "off"}


async def web_login(http: aiohttp.ClientSession, base: str) -> None:
    async with http.get(f"{base}/login") as form:
        token = csrf_of(await form.text())
    async with http.post(f"{base}/login", data={"username": "admin", "password": ADMIN_PASSWORD, "_csrf": token},
                         allow_redirects=False) as resp:
        assert resp.status == 303, await resp.text()


async def test_sigterm_with_an_open_event_stream_stops_within_seconds(db_url: str, tmp_path: Path) -> None:
    async with serving(tmp_path, db_url, **QUIET_SERVICE) as served:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await web_login(http, served.base)
            stream = await http.get(f"{served.base}/events")
            assert stream.status == 200
            took = await served.stop(give_up_s=20)
            rest = (await asyncio.wait_for(stream.content.read(), 5)).decode()
        assert took < 5, f"SIGTERM took {took:.1f} s"
        assert served.process.returncode == 0
        assert 'event: end\ndata: {"reason": "shutdown"}' in rest


async def test_credentials_in_malformed_requests_are_never_echoed_or_logged(db_url: str, tmp_path: Path) -> None:
    async with serving(tmp_path, db_url, **QUIET_SERVICE) as served:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{served.base}/api/v1/auth/token",
                                 json={"username": "admin", "password": ADMIN_PASSWORD}) as resp:
                token = (await resp.json())["token"].encode()
        secrets = (token, token[:20], token[-20:])
        mangled = [
            b"Authorization: Bearer " + token + b"\x01",  # control characters: aiohttp's parser refuses
            b"Authorization: Bearer " + token[:10] + b"\x7f" + token[10:],
            b"Authorization: Bearer\r\n " + token,  # an obsolete folded header line
            b"Authorization: Bearer " + token + b"\xff",  # not UTF-8
            b"Authorization: Basic " + token,
            b"Authorization: Bearer " + token + b" " + token,
            b"Cookie: zt_session=" + token + b"\x00",
            b"Cookie: zt_session=" + token + b"\xfe",
        ]
        for header in mangled:
            for path in (b"/api/v1/me", b"/agent"):
                status, response = await raw_request(served.port, b"GET " + path + b" HTTP/1.1\r\n" + header)
                assert status in (303, 400, 401), response
                assert not any(secret in response for secret in secrets), response
        await served.stop(give_up_s=20)
    log = served.log.read_bytes()
    assert b"refused an unparseable HTTP request from 127.0.0.1 (BadHttpMessage)" in log
    assert b"GET /api/v1/me" in log  # the access log was on
    leaked = [line for line in log.splitlines() if any(secret in line for secret in secrets)]
    assert leaked == []
