"""`zhitong serve` as a real process (issue 11, finding 7): SIGTERM with an event stream open stops
within seconds, and credentials in malformed requests are neither echoed nor logged."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from tests.security.raw_http import raw_request
from tests.security.web_login import csrf_of

REPO = Path(__file__).resolve().parents[2]
ADMIN_PASSWORD = "serve-process-password"


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def stop(self, timeout: float) -> float:
        """SIGTERM; seconds until the process exited (fails the test after ``timeout``)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(self.process.wait, timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"zhitong serve was still running {timeout} s after SIGTERM")
        return time.monotonic() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(db_url: str, tmp_path: Path) -> AsyncIterator[Served]:
    port = free_port()
    env = {**os.environ, "ZHITONG_DATABASE_URL": db_url, "ZHITONG_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "ZHITONG_LOG_LEVEL": "DEBUG", "ZHITONG_ACCESS_LOG": "1", "ZHITONG_SPEECH": "off", "ZHITONG_AGI_PORT": "0",
           "ZHITONG_AUDIOSOCKET_PORT": "0", "ZHITONG_FAX_OCR": "off", "ZHITONG_FAX_INCOMING_DIR": str(tmp_path / "in"),
           "ZHITONG_FAX_STORE_DIR": str(tmp_path / "fax")}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "callcenter.cli", "serve", "--port", str(port)],
                                   env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    served = Served(process, port, log)
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"{served.base}/healthz") as resp:
                        if resp.status == 200:
                            break
                if process.poll() is not None:
                    pytest.fail(f"zhitong serve exited: {log.read_text()[-2000:]}")
                await asyncio.sleep(0.1)
        yield served
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def web_login(http: aiohttp.ClientSession, base: str) -> None:
    async with http.get(f"{base}/login") as form:
        token = csrf_of(await form.text())
    async with http.post(f"{base}/login", data={"username": "admin", "password": ADMIN_PASSWORD, "_csrf": token},
                         allow_redirects=False) as resp:
        assert resp.status == 303, await resp.text()


async def test_sigterm_with_an_open_event_stream_stops_within_seconds(db_url: str, tmp_path: Path) -> None:
    async with serving(db_url, tmp_path) as served:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await web_login(http, served.base)
            stream = await http.get(f"{served.base}/events")
            assert stream.status == 200
            took = await served.stop(timeout=20)
            rest = (await asyncio.wait_for(stream.content.read(), 5)).decode()
        assert took < 5, f"SIGTERM took {took:.1f} s"
        assert served.process.returncode == 0
        assert 'event: end\ndata: {"reason": "shutdown"}' in rest


async def test_credentials_in_malformed_requests_are_never_echoed_or_logged(db_url: str, tmp_path: Path) -> None:
    async with serving(db_url, tmp_path) as served:
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
        await served.stop(timeout=20)
    log = served.log.read_bytes()
    assert b"refused an unparseable HTTP request from 127.0.0.1 (BadHttpMessage)" in log
    assert b"GET /api/v1/me" in log  # the access log was on
    leaked = [line for line in log.splitlines() if any(secret in line for secret in secrets)]
    assert leaked == []
