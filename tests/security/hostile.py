"""The stage the hostile-input tests play on: the real app (tests.api_helpers.start_api) with a
bearer token and a signed-in browser session per role, and one object of each kind to aim at.

Each role signs in once (the pages through the login form, taking whatever hidden fields the form
carries, e.g. a CSRF token), so the tests never hammer the login with wrong passwords. Requests go
through a client without a cookie jar: what a request carries is exactly what the test gives it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from yarl import URL

from callcenter.keys import AUTH, CALLS, FAXES, SMS_INBOUND
from callcenter.sms.webhooks import InboundSms
from tests.api_helpers import ORDER, PASSWORD, Api, start_api
from tests.conftest import BACKENDS, PG_URL, reset_database

ROLES = ("anonymous", "agent", "zjj", "boss", "admin")  # zjj: the unit handler of 区住建局
ALIYUN_TOKEN = "hostile-report-token"
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    text: str


@dataclass
class Stage:
    api: Api
    http: aiohttp.ClientSession
    base: str
    cookies: dict[str, str] = field(default_factory=dict)  # role → "zt_session=…"
    csrf: dict[str, str] = field(default_factory=dict)
    objects: dict[str, str] = field(default_factory=dict)  # path parameter name → an existing object

    def headers(self, who: str, *, page: bool) -> dict[str, str]:
        if who == "anonymous":
            return {}
        if page:
            return {"Cookie": self.cookies[who], "X-CSRF-Token": self.csrf[who]}
        return self.api.auth(who)

    async def relogin(self, who: str) -> None:
        """Sign ``who`` in to the pages (again, when a fuzzed POST /logout ended the session)."""
        self.cookies[who], self.csrf[who] = await page_login(self.http, self.base, who)

    async def new_token(self, who: str) -> None:
        """A fresh API token for ``who`` (when a fuzzed DELETE /api/v1/auth/token revoked theirs)."""
        async with self.http.post(self.base + "/api/v1/auth/token",
                                  json={"username": who, "password": PASSWORD}) as resp:
            assert resp.status == 201, (who, resp.status)
            self.api.tokens[who] = (await resp.json())["token"]

    async def send(self, who: str, method: str, path_qs: str, *, body: bytes | None = None,
                   content_type: str | None = None, headers: dict[str, str] | None = None) -> Reply:
        """One request with ``path_qs`` sent exactly as written (already percent-encoded). A stream
        (server-sent events) is closed once its headers arrive."""
        page = not path_qs.startswith(("/api/", "/webhooks/"))
        sent = {**self.headers(who, page=page), **(headers or {})}
        if content_type is not None:
            sent["Content-Type"] = content_type
        url = URL(self.base + path_qs, encoded=True)
        async with self.http.request(method, url, data=body, headers=sent, allow_redirects=False) as resp:
            kind = resp.headers.get("Content-Type", "")
            if kind.startswith("text/event-stream"):
                return Reply(resp.status, kind, "")
            return Reply(resp.status, kind, await asyncio.wait_for(resp.text(errors="replace"), 30))


async def page_login(http: aiohttp.ClientSession, base: str, username: str) -> tuple[str, str]:
    """Sign in through the login form; the session cookie and the pages' CSRF token."""
    async with http.get(base + "/login") as resp:
        form = dict(_HIDDEN.findall(await resp.text()))
        login_cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in resp.cookies.items())
    form.update(username=username, password=PASSWORD)
    # The form's CSRF token is bound to the cookie the login page set (there is no session yet).
    async with http.post(base + "/login", data=form, headers={"Cookie": login_cookie}, allow_redirects=False) as resp:
        assert resp.status == 303, (username, resp.status, await resp.text())
        morsel = resp.cookies["zt_session"]
        cookie = f"zt_session={morsel.value}"
    async with http.get(base + "/orders", headers={"Cookie": cookie}, allow_redirects=False) as resp:
        assert resp.status == 200, (username, resp.status)
        csrf = _CSRF.search(await resp.text())
    assert csrf is not None, f"no CSRF token on the pages of {username}"
    return cookie, csrf.group(1)


async def create_order(api: Api, unit: str | None = None, **changes: Any) -> dict[str, Any]:
    """An order by the agent, dispatched to ``unit`` (a unit name) when given."""
    status, order = await api.call("agent", "POST", "/api/v1/orders", {**ORDER, **changes})
    assert status == 201, order
    if unit is not None:
        order = await api.act("agent", order["number"], "dispatch", {"lead_unit": api.units[unit]})
    return dict(order)


async def _seed(stage: Stage) -> None:
    api, app = stage.api, stage.api.client.server.app
    mine = await create_order(api, "区住建局")
    theirs = await create_order(api, "区交通运输局", subject="另一单位的工单")
    status, article = await api.call("boss", "POST", "/api/v1/kb", {
        "title": "企业开办流程", "body": "在政务服务网申请。", "category": "审批", "keywords": ["开办"]})
    assert status == 201, article
    fax, _ = await app[FAXES].receipts.record(linkedid="1700000000.9", caller="13800138000", status="failed",
                                              pages=1, fax_status="FAILED", file=None, error="no carrier",
                                              now=api.clock())
    await app[CALLS].repo.upsert([{"linkedid": "1700000000.1", "caller": "13800138000",
                                   "started_at": "2026-11-23T01:00:00Z", "ended_at": "2026-11-23T01:02:00Z",
                                   "disposition": "ANSWERED", "order_number": mine["number"]}], api.clock())
    await app[SMS_INBOUND].receive(InboundSms(message_sid="SM" + "f" * 32, sender="+8613700137000",
                                              recipient="+8610012345", body="路灯不亮"))
    stage.objects.update(number=mine["number"], other_number=theirs["number"], id=str(article["id"]),
                         fax_id=str(fax.id), linkedid="1700000000.1", token=ALIYUN_TOKEN, username="fuzzvictim")


async def open_stage(db_url: str, *, pages: tuple[str, ...] = ROLES[1:], **settings: Any) -> AsyncIterator[Stage]:
    """The stage, with a browser session for each of ``pages`` (each costs a password check)."""
    settings.setdefault("aliyun_report_token", ALIYUN_TOKEN)
    settings.setdefault("portal", "on")  # the public portal's routes are fuzzed like the rest
    async for api in start_api(db_url, **settings):
        # The account the fuzzed admin pages switch on and off (never one the tests sign in with).
        await api.client.server.app[AUTH].add_user("fuzzvictim", PASSWORD, "agent")
        base = str(api.client.make_url("")).rstrip("/")
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
            stage = Stage(api, http, base)
            for who in pages:
                await stage.relogin(who)
            await _seed(stage)
            yield stage


def module_stage(**options: Any) -> Any:
    """A stage fixture shared by the tests of one module (once per database, like `db_url`): each
    stage costs a dozen password hashes. The module's tests then run in one event loop
    (pytestmark = pytest.mark.asyncio(loop_scope="module")) and must not assume a fresh database."""

    @pytest_asyncio.fixture(scope="module", loop_scope="module", params=BACKENDS)
    async def stage(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stage]:
        if request.param == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('stage')}/test.sqlite3"
        elif not PG_URL:
            pytest.fail("CI=true but ZHITONG_TEST_DATABASE_URL is not set: the PostgreSQL run is required in CI")
        else:
            await reset_database(url := PG_URL)
        async for value in open_stage(url, **options):
            yield value

    return stage
