"""A local stand-in for WeCom, for driving the app's WeCom channel in tests.

- The group robot webhook: ``POST /cgi-bin/webhook/send?key=…`` checks the key against the robots
  it knows and the body against WeCom's shapes (text / markdown), records accepted messages, and
  can be told to answer the next N with 45009 (too frequent) or a 502.
- The callback side: ``callback`` encrypts a message with the same crypto as WeCom (the app's
  codec is the one under test, so the fake seals with its own independent use of `cryptography`)
  and POSTs it to the app's callback URL, signed; ``verify_url`` plays the console's URL check.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from api_helpers import Api, start_api
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from callcenter.enterprises.service import DEMO_DIRECTORY, load_enterprises
from callcenter.keys import SUPERVISION

TOKEN = "fakeToken123"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
CORP_ID = "ww0123456789abcdef"


def seal(message: bytes, *, aes_key: str = AES_KEY, corp_id: str = CORP_ID, bad_padding: bool = False) -> str:
    """``bad_padding``: the padding's last byte names a length whose other bytes disagree."""
    key = base64.b64decode(aes_key + "=")
    plain = os.urandom(16) + struct.pack(">I", len(message)) + message + corp_id.encode()
    n = 32 - len(plain) % 32
    padding = bytes([n]) * n
    if bad_padding:
        plain += b"\x00" * n  # a whole extra block of padding that is not one
        padding = bytes(31) + b"\x1f"
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(plain + padding) + enc.finalize()).decode()


def sign(*parts: str, token: str = TOKEN) -> str:
    return hashlib.sha1("".join(sorted((token, *parts))).encode()).hexdigest()


def text_message(sender: str, content: str, msg_id: str, *, kind: str = "text", extra: str = "") -> bytes:
    body = f"<Content><![CDATA[{content}]]></Content>" if kind == "text" else extra
    return (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{sender}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>{body}"
            f"<MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>").encode()


@dataclass
class FakeWeCom:
    robots: set[str] = field(default_factory=set)  # webhook keys that exist
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (key, body) accepted
    requests: int = 0
    _busy_next: int = 0
    _down_next: int = 0
    _server: TestServer | None = None
    session: aiohttp.ClientSession | None = None

    def busy_next(self, count: int) -> None:
        self._busy_next = count

    def down_next(self, count: int) -> None:
        self._down_next = count

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return str(self._server.make_url("")).rstrip("/")

    async def __aenter__(self) -> FakeWeCom:
        app = web.Application()
        app.router.add_post("/cgi-bin/webhook/send", self._send)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        self.session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None and self.session is not None
        await self.session.close()
        await self._server.close()

    async def _send(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self._down_next:
            self._down_next -= 1
            return web.Response(status=502, text="bad gateway")
        if self._busy_next:
            self._busy_next -= 1
            return web.json_response({"errcode": 45009, "errmsg": "api freq out of limit"})
        if request.query.get("key") not in self.robots:
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url"})
        body = await request.json()
        kind = body.get("msgtype")
        content = (body.get(kind) or {}).get("content") if kind in ("text", "markdown") else None
        if not isinstance(content, str) or not content or len(content.encode()) > 4096:
            return web.json_response({"errcode": 40008, "errmsg": "invalid message type"})
        self.messages.append((request.query["key"], body))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    # -- the callback side -------------------------------------------------------------------------

    async def callback(self, url: str, message: bytes, *, timestamp: int | None = None, nonce: str = "n1",
                       token: str = TOKEN, encrypt: str | None = None, body: bytes | None = None) -> aiohttp.ClientResponse:
        """POST a message as WeCom does: encrypted, signed over the ciphertext, in an XML envelope."""
        assert self.session is not None
        ts = str(int(time.time()) if timestamp is None else timestamp)
        encrypt = seal(message) if encrypt is None else encrypt
        envelope = (f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
                    f"<AgentID><![CDATA[1000002]]></AgentID></xml>").encode()
        params = {"msg_signature": sign(ts, nonce, encrypt, token=token), "timestamp": ts, "nonce": nonce}
        async with self.session.post(url, params=params, data=envelope if body is None else body,
                                     headers={"Content-Type": "text/xml"}) as resp:
            await resp.read()
            return resp

    async def verify_url(self, url: str, echo: bytes, *, timestamp: int) -> tuple[int, str]:
        assert self.session is not None
        ts, nonce = str(timestamp), "v1"
        echostr = seal(echo)
        params = {"msg_signature": sign(ts, nonce, echostr), "timestamp": ts, "nonce": nonce, "echostr": echostr}
        async with self.session.get(url, params=params) as resp:
            return resp.status, await resp.text()


async def api_with_directory(db_url: str, **settings: Any) -> AsyncIterator[Api]:
    """The API server (tests/api_helpers.py) with the demo enterprise directory loaded."""
    async for api in start_api(db_url, **settings):
        await load_enterprises(api.client.server.app[SUPERVISION].orders.engine, DEMO_DIRECTORY)
        yield api
