"""A local stand-in for Twilio's Messages API, for driving the real twilio client in tests.

Implements ``POST /2010-04-01/Accounts/{sid}/Messages.json``: basic auth, the form fields the
adapter sends, Twilio-shaped success and error JSON. It records what it received and can be told
to fail (500) the next N requests, to hang (a read timeout), or to reject a number (400, 21211).

Like Twilio it calls back: with a ``StatusCallback`` it POSTs "sent" then "delivered" (or
"undelivered" for numbers marked so), signed with the auth token; `send_inbound` plays an
incoming SMS to a webhook, signed the same way.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from twilio.request_validator import RequestValidator

API = "/2010-04-01"


@dataclass
class FakeTwilio:
    account_sid: str = "AC" + "0" * 32
    auth_token: str = "fake-auth-token"
    messages: list[dict[str, str]] = field(default_factory=list)  # accepted messages, form as received
    requests: int = 0  # every create request, including failed ones
    _fail_next: int = 0
    _fail_status: int = 500
    _rejected: set[str] = field(default_factory=set)
    _undeliverable: set[str] = field(default_factory=set)
    _hang_next: int = 0
    callbacks: list[tuple[str, dict[str, str], int]] = field(default_factory=list)  # (url, form, our answer)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _server: TestServer | None = None
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    # -- test controls ---------------------------------------------------------------------------

    def fail_next(self, count: int, status: int = 500) -> None:
        self._fail_next, self._fail_status = count, status

    def reject_number(self, number: str) -> None:
        self._rejected.add(number)

    def undeliverable(self, number: str) -> None:
        """Accept messages to ``number``, then report them undelivered (error 30003)."""
        self._undeliverable.add(number)

    def hang_next(self, count: int) -> None:
        """Never answer the next ``count`` creates (the client's read timeout fires)."""
        self._hang_next = count

    def sign(self, url: str, form: dict[str, str]) -> str:
        return str(RequestValidator(self.auth_token).compute_signature(url, form))

    async def post_signed(self, url: str, form: dict[str, str], *, signature: str | None = None) -> int:
        """POST a form to one of the app's webhooks the way Twilio does; returns the HTTP status."""
        headers = {"X-Twilio-Signature": signature if signature is not None else self.sign(url, form)}
        async with aiohttp.ClientSession() as session, session.post(url, data=form, headers=headers) as response:
            await response.read()
            self.callbacks.append((url, form, response.status))
            return response.status

    async def send_inbound(self, url: str, sender: str, body: str, *, sid: str | None = None,
                           to: str = "+8610012345") -> int:
        form = {"MessageSid": sid or f"SM{next(self._ids):032x}", "AccountSid": self.account_sid,
                "From": sender, "To": to, "Body": body, "NumMedia": "0", "SmsStatus": "received"}
        return await self.post_signed(url, form)

    async def settle(self) -> None:
        """Wait until every status callback has been delivered."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake first"
        return str(self._server.make_url("")).rstrip("/")

    async def start(self) -> FakeTwilio:
        self._server = TestServer(self.app(), host="127.0.0.1")
        await self._server.start_server()
        return self

    async def close(self) -> None:
        await self.settle()
        if self._server is not None:
            await self._server.close()

    async def __aenter__(self) -> FakeTwilio:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- the API ---------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(API + "/Accounts/{sid}/Messages.json", self._create_message)
        return app

    def _authorized(self, request: web.Request, sid: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return sid == self.account_sid and request.headers.get("Authorization") == f"Basic {expected}"

    async def _create_message(self, request: web.Request) -> web.Response:
        self.requests += 1
        sid = request.match_info["sid"]
        if not self._authorized(request, sid):
            return _error(401, 20003, "Authenticate")
        if self._hang_next > 0:
            self._hang_next -= 1
            await asyncio.sleep(3600)
        if self._fail_next > 0:
            self._fail_next -= 1
            return _error(self._fail_status, 20500, "Internal Server Error")
        form = {key: str(value) for key, value in (await request.post()).items()}
        to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
        if not to or not sender or not body:
            return _error(400, 21604 if not to else 21603 if not sender else 21602, "A required parameter is missing")
        if to in self._rejected:
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        self.messages.append(form)
        now = format_datetime(datetime.now(UTC), usegmt=True)
        message_sid = f"SM{next(self._ids):032x}"
        if form.get("StatusCallback"):
            task = asyncio.get_running_loop().create_task(self._report(form["StatusCallback"], message_sid, to))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.json_response({
            "sid": message_sid, "account_sid": sid, "to": to, "from": sender, "body": body,
            "status": "queued", "direction": "outbound-api", "num_segments": "1", "num_media": "0",
            "date_created": now, "date_updated": now, "date_sent": None, "price": None, "price_unit": "USD",
            "error_code": None, "error_message": None, "api_version": "2010-04-01", "messaging_service_sid": None,
            "uri": f"{API}/Accounts/{sid}/Messages/{message_sid}.json", "subresource_uris": {},
        }, status=201)


    async def _report(self, url: str, message_sid: str, to: str) -> None:
        await asyncio.sleep(0.01)
        final = ("undelivered", "30003") if to in self._undeliverable else ("delivered", "")
        for status, code in (("sent", ""), final):
            form = {"MessageSid": message_sid, "MessageStatus": status, "AccountSid": self.account_sid, "To": to}
            if code:
                form["ErrorCode"] = code
            await self.post_signed(url, form)


def _error(status: int, code: int, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message, "status": status,
                              "more_info": f"https://www.twilio.com/docs/errors/{code}"}, status=status)
