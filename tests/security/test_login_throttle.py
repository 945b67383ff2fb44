"""Login throttling (issue 11, finding 3): growing delays and a temporary lock per account and per
client address, shared by every node, checked before any argon2 work, audited, and liftable."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from callcenter.app import build_app
from callcenter.auth.hashing import PasswordWorkers
from callcenter.keys import AUDIT, AUTH
from callcenter.settings import Settings
from tests.api_helpers import PASSWORD, Api, start_api
from tests.security.web_login import page_csrf, post_login

REPO = Path(__file__).resolve().parents[2]
ATTACKER, OFFICE, HOME = "198.51.100.7", "203.0.113.20", "192.0.2.55"


@dataclass
class SecurityClock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Site:
    api: Api
    clock: SecurityClock

    @property
    def app(self) -> Any:
        return self.api.client.app

    async def login(self, username: str, password: str, address: str | None = None) -> tuple[int, dict[str, Any], Any]:
        headers = {"X-Forwarded-For": address} if address else {}
        resp = await self.api.client.post("/api/v1/auth/token", json={"username": username, "password": password},
                                          headers=headers)
        return resp.status, await resp.json(content_type=None), resp.headers

    async def fail(self, username: str, times: int = 1, address: str | None = None) -> None:
        """Wrong passwords, waiting out each delay (the clock is ours), never into a lock."""
        for i in range(times):
            status, body, _ = await self.login(username, f"wrong-password-{i}", address)
            if status == 429 and body["retry_after"] < 100:
                self.clock.advance(body["retry_after"])
                status, body, _ = await self.login(username, f"wrong-password-{i}", address)
            assert status == 401, body


async def make_site(db_url: str, **settings: Any) -> AsyncIterator[Site]:
    async for api in start_api(db_url, **settings):
        clock = SecurityClock()
        api.client.app[AUTH].throttle.now = clock
        yield Site(api, clock)


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async for s in make_site(db_url, trusted_proxies=("127.0.0.1",)):
        yield s


async def test_the_right_password_is_refused_while_the_account_is_locked(site: Site) -> None:
    await site.fail("agent", 10)
    status, body, headers = await site.login("agent", PASSWORD)
    assert status == 429, body
    assert body["error_id"] == "login-throttled" and body["status"] == 429
    assert 890 <= int(headers["Retry-After"]) <= 900 and body["retry_after"] == int(headers["Retry-After"])
    assert "token" not in body
    audit = await site.app[AUDIT].list(subject="agent")
    assert [(a["action"], a["actor"]) for a in audit] == [("login-lock-account", "system")]
    assert "10 failed logins" in audit[0]["detail"]


async def test_delays_grow_before_the_lock(site: Site) -> None:
    for i in range(5):  # the first failures cost nothing but the failure
        assert (await site.login("boss", f"wrong-{i}"))[0] == 401
    waits = []
    for i in range(5):
        status, body, headers = await site.login("boss", f"again-{i}")
        assert status == 429 and body["error_id"] == "login-throttled", body
        waits.append(int(headers["Retry-After"]))
        site.clock.advance(waits[-1])
        assert (await site.login("boss", f"again-{i}"))[0] == 401
    assert waits == [1, 2, 4, 8, 16]
    status, body, _ = await site.login("boss", PASSWORD)
    assert status == 429 and body["retry_after"] >= 899  # now the lock


async def test_a_locked_login_costs_no_password_verification(site: Site) -> None:
    await site.fail("zjj", 10)
    counting = CountingWorkers()
    site.app[AUTH].hashing = counting
    for password in ("guess-1", "guess-2", PASSWORD):
        assert (await site.login("zjj", password))[0] == 429
    assert counting.verified == 0
    assert (await site.login("jtj", "wrong-password-1"))[0] == 401  # others are still verified
    assert counting.verified == 1


async def test_concurrent_guesses_cannot_overshoot_the_limit(site: Site) -> None:
    results = await asyncio.gather(*(site.login("jtj", f"guess-{i}") for i in range(24)))
    statuses = [status for status, _, _ in results]
    assert statuses.count(401) == 5, statuses  # the free failures; every other guess waited
    assert set(statuses) == {401, 429}


async def test_an_office_logging_in_together_waits_for_nobody_and_a_burst_still_stops_at_the_lock(site: Site) -> None:
    # Thirty agents behind one NAT address are being verified at once (reserved, not yet settled):
    # attempts in flight are not failures, so none of them is delayed (the address allows 50).
    throttle = site.app[AUTH].throttle
    agents = [throttle.keys(f"agent{i:02d}", OFFICE) for i in range(30)]
    assert [(await throttle.reserve(keys)).wait for keys in agents] == [0.0] * 30
    for keys in agents:
        await throttle.succeeded(keys)
    # Guesses from one address at many accounts: in flight they count towards the address's lock.
    guesses = [throttle.keys(f"user{i:02d}", ATTACKER) for i in range(51)]
    verdicts = [await throttle.reserve(keys) for keys in guesses]
    assert [v.wait for v in verdicts[:50]] == [0.0] * 50 and verdicts[50].wait > 0 and not verdicts[50].locked
    for keys in guesses[:50]:
        await throttle.failed(keys, ATTACKER)
    assert (await throttle.reserve(throttle.keys("someone", ATTACKER))).locked  # 50 verified failures: locked


async def test_locks_expire_by_themselves(site: Site) -> None:
    await site.fail("agent", 10)
    assert (await site.login("agent", PASSWORD))[0] == 429
    site.clock.advance(15 * 60)
    status, body, _ = await site.login("agent", PASSWORD)
    assert status == 201, body
    assert (await site.login("agent", "wrong-once-more"))[0] == 401  # and it starts again from zero


async def test_an_office_behind_one_address_is_not_locked_out_by_one_agent(site: Site) -> None:
    await site.fail("agent", 10, OFFICE)
    assert (await site.login("agent", PASSWORD, OFFICE))[0] == 429
    for colleague in ("boss", "zjj", "jtj"):
        status, body, _ = await site.login(colleague, PASSWORD, OFFICE)
        assert status == 201, (colleague, body)


@pytest.fixture
async def small(db_url: str) -> AsyncIterator[Site]:
    """Small limits: 2 failures lock an account, 6 an address."""
    async for s in make_site(db_url, trusted_proxies=("127.0.0.1",), login_lock_after=2, login_address_lock_after=6):
        yield s


async def test_one_address_cannot_lock_out_more_than_a_few_accounts(small: Site) -> None:
    for victim in ("agent", "boss", "zjj"):
        await small.fail(victim, 2, ATTACKER)
    for victim in ("jtj", "admin"):  # the address is locked now: these accounts are not even tried
        status, body, _ = await small.login(victim, "spray-password", ATTACKER)
        assert status == 429 and body["retry_after"] >= 899, body
    status, _, _ = await small.login("jtj", PASSWORD, ATTACKER)
    assert status == 429  # not even with the right password, from there
    for person in ("jtj", "admin"):
        assert (await small.login(person, PASSWORD, HOME))[0] == 201
    assert (await small.login("agent", PASSWORD, HOME))[0] == 429  # the sprayed accounts wait out their lock
    actions = {(a["action"], a["subject"]) for a in await small.app[AUDIT].list()}
    assert ("login-lock-address", ATTACKER) in actions and ("login-lock-account", "zjj") in actions


@pytest.fixture
async def untrusting(db_url: str) -> AsyncIterator[Site]:
    """Small limits and no trusted proxy."""
    async for s in make_site(db_url, login_lock_after=2, login_address_lock_after=6):
        yield s


async def test_x_forwarded_for_is_believed_only_from_trusted_proxies(untrusting: Site) -> None:
    for i in range(6):  # a new made-up address in every request
        await untrusting.fail(f"nobody{i}", 1, f"10.9.8.{i}")
    status, body, _ = await untrusting.login("agent", PASSWORD, "10.9.8.200")
    assert status == 429, body  # the TCP peer (127.0.0.1) is locked, whatever the header says


async def test_ipv6_addresses_are_limited_per_64(small: Site) -> None:
    for i in range(6):
        await small.fail(f"nobody{i}", 1, f"2001:db8:1:2::{i + 1:x}")
    assert (await small.login("agent", PASSWORD, "2001:db8:1:2:ffff::1"))[0] == 429
    assert (await small.login("agent", PASSWORD, "2001:db8:1:3::1"))[0] == 201


async def test_failures_count_on_every_node(small: Site, db_url: str) -> None:
    other = build_app(Settings(database_url=db_url, login_lock_after=2, login_address_lock_after=6), telephony=False)
    client = TestClient(TestServer(other, host="127.0.0.1"))
    await client.start_server()
    try:
        other[AUTH].throttle.now = small.clock
        await small.fail("boss", 1)
        small.clock.advance(1)  # the delay after the first failure
        resp = await client.post("/api/v1/auth/token", json={"username": "boss", "password": "wrong-on-node-2"})
        assert resp.status == 401
        resp = await client.post("/api/v1/auth/token", json={"username": "boss", "password": PASSWORD})
        assert resp.status == 429, await resp.text()
        assert (await small.login("boss", PASSWORD))[0] == 429
    finally:
        await client.close()


async def test_an_admin_unlocks_accounts_and_addresses_in_the_api(small: Site) -> None:
    await small.fail("agent", 2)
    for i in range(3):
        await small.fail(f"nobody{i}", 2, ATTACKER)
    status, locks = await small.api.call("admin", "GET", "/api/v1/auth/locks")
    assert status == 200
    assert {(lock["kind"], lock["key"]) for lock in locks["items"]} >= {("account", "agent"), ("address", ATTACKER)}
    status, body = await small.api.call("boss", "POST", "/api/v1/auth/unlock", {"username": "agent"})
    assert status == 403 and body["error_id"] == "forbidden"
    status, body = await small.api.call("admin", "POST", "/api/v1/auth/unlock", {"username": "agent"})
    assert status == 200 and body["unlocked"] is True, body
    assert (await small.login("agent", PASSWORD))[0] == 201
    status, body = await small.api.call("admin", "POST", "/api/v1/auth/unlock", {"address": ATTACKER})
    assert status == 200 and body["unlocked"] is True
    assert (await small.login("boss", PASSWORD, ATTACKER))[0] == 201
    status, body = await small.api.call("admin", "POST", "/api/v1/auth/unlock", {"username": "agent", "address": "x"})
    assert status == 422
    actions = [(a["action"], a["actor"], a["subject"]) for a in await small.app[AUDIT].list()]
    assert ("login-unlock-account", "admin", "agent") in actions
    assert ("login-unlock-address", "admin", ATTACKER) in actions


async def test_an_admin_unlocks_a_user_on_the_users_page(small: Site) -> None:
    await small.fail("agent", 2)
    client = small.api.client
    assert (await post_login(client, "admin")).status == 303
    page = await client.get("/admin/users")
    html = await page.text()
    assert "锁定至" in html and 'action="/admin/users/agent/unlock"' in html
    resp = await client.post("/admin/users/agent/unlock", data={"_csrf": await page_csrf(client, "/admin/users")})
    assert resp.status == 200 and "已解除用户 agent 的登录锁定" in await resp.text()
    assert (await small.login("agent", PASSWORD))[0] == 201
    for i in range(3):
        await small.fail(f"nobody{i}", 2, ATTACKER)
    assert ATTACKER in await (await client.get("/admin/users")).text()
    resp = await client.post("/admin/login-addresses/unlock",
                             data={"_csrf": await page_csrf(client, "/admin/users"), "address": ATTACKER})
    assert resp.status == 200 and f"已解除地址 {ATTACKER} 的登录限制" in await resp.text()
    assert (await small.login("boss", PASSWORD, ATTACKER))[0] == 201


async def test_zhitong_user_unlock(small: Site, db_url: str) -> None:
    await small.fail("agent", 2)
    for i in range(3):
        await small.fail(f"nobody{i}", 2, ATTACKER)
    listed = [json.loads(line) for line in (await zhitong(db_url, "user", "locks")).splitlines()]
    assert {(lock["kind"], lock["key"]) for lock in listed} >= {("account", "agent"), ("address", ATTACKER)}
    assert json.loads(await zhitong(db_url, "user", "unlock", "agent"))["unlocked"] is True
    assert json.loads(await zhitong(db_url, "user", "unlock", "--address", ATTACKER))["unlocked"] is True
    assert (await small.login("agent", PASSWORD, ATTACKER))[0] == 201
    actions = [(a["action"], a["subject"]) for a in await small.app[AUDIT].list() if a["actor"].startswith("cli:")]
    assert sorted(actions) == [("login-unlock-account", "agent"), ("login-unlock-address", ATTACKER)]


async def test_the_login_page_says_so_in_chinese(small: Site) -> None:
    client = small.api.client
    for _ in range(2):
        assert (await post_login(client, "agent", "wrong-password-x")).status == 401
        small.clock.advance(1)  # the delay after the first failure
    resp = await post_login(client, "agent")
    text = await resp.text()
    assert resp.status == 429 and "登录失败次数过多，已暂时锁定" in text and "联系管理员解锁" in text
    assert 890 <= int(resp.headers["Retry-After"]) <= 900


class CountingWorkers(PasswordWorkers):
    def __init__(self) -> None:
        super().__init__(workers=1, queue=8)
        self.verified = 0

    async def verify(self, stored_hash: str, password: str) -> bool:
        self.verified += 1
        return await super().verify(stored_hash, password)


async def zhitong(db_url: str, *args: str) -> str:
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "callcenter.cli", "--database-url", db_url, *args],
                                   capture_output=True, text=True, cwd=REPO, timeout=120,
                                   env={**os.environ, "ZHITONG_LOG_LEVEL": "WARNING"})
    assert done.returncode == 0, done.stderr
    return done.stdout


async def tick(gaps: list[float]) -> None:
    """Record how late the event loop wakes up, every 10 ms."""
    last = time.perf_counter()
    while True:
        await asyncio.sleep(0.01)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now


async def test_password_checks_run_off_the_event_loop(site: Site) -> None:
    """A slow argon2 verification must not stall the process: the event loop (FastAGI, AMI, every
    other request) keeps running while it is computed."""
    await set_slow_hash(site.api, "boss")
    gaps: list[float] = []
    ticker = asyncio.create_task(tick(gaps))
    started = time.perf_counter()
    status, _, _ = await site.login("boss", PASSWORD)
    took = time.perf_counter() - started
    ticker.cancel()
    assert status == 201
    assert took > 0.3  # the slow hash really was slow
    assert max(gaps) < took / 3, (max(gaps), took)


@pytest.fixture
async def one_place(db_url: str) -> AsyncIterator[Site]:
    """One argon2 thread and no queue: a single login at a time."""
    async for s in make_site(db_url, login_workers=1, login_queue=0):
        yield s


async def test_a_full_verification_queue_answers_503_at_once(one_place: Site) -> None:
    await set_slow_hash(one_place.api, "boss")
    slow = asyncio.create_task(one_place.login("boss", PASSWORD))
    await asyncio.sleep(0.2)  # boss's verification has the only place
    started = time.perf_counter()
    status, body, headers = await one_place.login("agent", PASSWORD)
    assert status == 503 and body["error_id"] == "login-busy", body
    assert headers["Retry-After"] == "1" and time.perf_counter() - started < 0.5
    assert (await slow)[0] == 201
    # The place is free again, and the refused attempt did not count as a failure.
    assert (await one_place.login("agent", PASSWORD))[0] == 201


async def set_slow_hash(api: Api, username: str) -> None:
    """Give ``username`` an argon2 hash that takes about a second to verify."""
    from argon2 import PasswordHasher
    from sqlalchemy import update

    from callcenter.db.engine import write_transaction
    from callcenter.db.tables import users

    slow = await asyncio.to_thread(PasswordHasher(time_cost=12).hash, PASSWORD)
    engine = api.client.app[AUTH].users.engine
    async with write_transaction(engine) as conn:
        await conn.execute(update(users).where(users.c.username == username).values(password_hash=slow))


def test_login_settings_are_read_and_checked() -> None:
    from callcenter.settings import SettingsError

    settings = Settings.from_env({"ZHITONG_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7 ::1",
                                  "ZHITONG_LOGIN_LOCK_AFTER": "6", "ZHITONG_LOGIN_LOCK_MINUTES": "30"})
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.168.1.7", "::1")
    assert (settings.login_lock_after, settings.login_lock_minutes, settings.login_address_lock_after) == (6, 30, 50)
    with pytest.raises(SettingsError, match="ZHITONG_TRUSTED_PROXIES"):
        Settings.from_env({"ZHITONG_TRUSTED_PROXIES": "10.0.0.0/8, proxy.example"})
    with pytest.raises(SettingsError, match="ZHITONG_LOGIN_LOCK_AFTER"):
        Settings.from_env({"ZHITONG_LOGIN_LOCK_AFTER": "0"})
