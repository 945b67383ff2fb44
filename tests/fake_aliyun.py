"""A local stand-in for Aliyun's Dysmsapi RPC endpoint (``SendSms`` only), on 127.0.0.1.

It checks what the real gateway checks first: the signature v1, recomputed here from the
received parameters (query and form merged) with the known secret, then the common and action
parameters. Answers are Aliyun-shaped JSON: ``{"Code": "OK", "BizId": ...}`` or an error Code.
It records accepted messages and can be told to answer the next request with a given error
Code, to fail with HTTP 500, or to hang (the client's read timeout fires).

The signature is recomputed with its own few lines (hashlib/hmac/urllib), not with the
adapter's ``sign``, so a bug there cannot hide itself by agreeing with its own output.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import web
from aiohttp.test_utils import TestServer

COMMON = ("AccessKeyId", "Action", "Format", "SignatureMethod", "SignatureNonce", "SignatureVersion",
          "Timestamp", "Version", "Signature")
ACTION = ("PhoneNumbers", "SignName", "TemplateCode")
# HTTP statuses Aliyun uses for the codes the tests play (business errors come back as 200).
_STATUS_FOR_CODE = {"SignatureDoesNotMatch": 400, "InvalidAccessKeyId.NotFound": 404,
                    "isp.RAM_PERMISSION_DENY": 403, "Throttling.User": 400}


def reference_signature(method: str, params: dict[str, str], secret: str) -> str:
    def enc(value: str) -> str:
        return quote(value, safe="~")

    pairs = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()) if k != "Signature")
    string_to_sign = method + "&" + enc("/") + "&" + enc(pairs)
    return base64.b64encode(hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()).decode()


@dataclass
class FakeAliyun:
    access_key_id: str = "LTAI-fake-id"
    access_key_secret: str = "fake-secret"
    messages: list[dict[str, str]] = field(default_factory=list)  # accepted requests, params as received
    biz_ids: list[str] = field(default_factory=list)  # the BizId answered for each accepted message
    requests: int = 0  # every request, including refused ones
    methods: list[str] = field(default_factory=list)
    raw_queries: list[str] = field(default_factory=list)  # the URL query of every request
    _next_codes: list[tuple[str, int]] = field(default_factory=list)
    _fail_next: int = 0
    _hang_next: int = 0
    _nonces: set[str] = field(default_factory=set)
    _server: TestServer | None = None
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    # -- test controls ---------------------------------------------------------------------------

    def reply_next(self, code: str, *, status: int | None = None) -> None:
        """Answer the next (signed, well-formed) request with this error Code."""
        self._next_codes.append((code, status if status is not None else _STATUS_FOR_CODE.get(code, 200)))

    def fail_next(self, count: int = 1) -> None:
        """HTTP 500 with a non-JSON body for the next ``count`` requests."""
        self._fail_next = count

    def hang_next(self, count: int = 1) -> None:
        """Never answer the next ``count`` requests."""
        self._hang_next = count

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        return str(self._server.make_url("/"))

    async def start(self) -> FakeAliyun:
        self._server = TestServer(self.app(), host="127.0.0.1")
        await self._server.start_server()
        return self

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    async def __aenter__(self) -> FakeAliyun:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- the API ---------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/", self._rpc)
        return app

    async def _rpc(self, request: web.Request) -> web.Response:
        self.requests += 1
        self.methods.append(request.method)
        self.raw_queries.append(request.query_string)
        params = {k: v for k, v in request.query.items()}
        if request.method == "POST":
            params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        if self._hang_next > 0:
            self._hang_next -= 1
            await asyncio.sleep(3600)
        if self._fail_next > 0:
            self._fail_next -= 1
            return web.Response(status=500, text="<html>502 Bad Gateway</html>", content_type="text/html")
        missing = [k for k in COMMON + ACTION if not params.get(k)]
        if missing:
            return _error(400, "MissingParameter", f"missing {', '.join(missing)}")
        if params["AccessKeyId"] != self.access_key_id:
            return _error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        expected = reference_signature(request.method, params, self.access_key_secret)
        if not hmac.compare_digest(expected, params["Signature"]):
            return _error(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
        if params["SignatureNonce"] in self._nonces:
            return _error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        self._nonces.add(params["SignatureNonce"])
        fixed = {"Action": "SendSms", "Format": "JSON", "SignatureMethod": "HMAC-SHA1",
                 "SignatureVersion": "1.0", "Version": "2017-05-25"}
        if any(params[k] != v for k, v in fixed.items()):
            return _error(400, "InvalidParameter", "unexpected common parameter")
        if self._next_codes:
            code, status = self._next_codes.pop(0)
            # Like Aliyun, quote the number back in the message (the adapter must mask it).
            return _error(status, code, f"{code} for {params['PhoneNumbers']}")
        try:
            template_param = json.loads(params.get("TemplateParam", "{}"))
        except ValueError:
            return _error(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法")
        if not isinstance(template_param, dict):
            return _error(200, "isv.INVALID_JSON_PARAM", "JSON参数不合法")
        biz_id = f"9006197469364984{next(self._ids):02d}^0"
        self.messages.append(params)
        self.biz_ids.append(biz_id)
        return web.json_response({"Code": "OK", "Message": "OK", "BizId": biz_id,
                                  "RequestId": f"F655A8D5-B967-440B-8683-{self.requests:012d}"})


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"Code": code, "Message": message, "RequestId": "5E5A2F5C-0000-4000-8000-000000000000",
                              "Recommend": "https://next.api.aliyun.com/troubleshoot"}, status=status)
