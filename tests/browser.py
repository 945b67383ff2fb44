"""Browser-test support: the real app on 127.0.0.1 and Debian's Chromium driven by Playwright.

Playwright's own browser download does not work here, so the tests launch /usr/bin/chromium
(apt package `chromium`; `.ci/run` installs it) with the flags a closed network needs.
Screenshots go to test-artifacts/screenshots/ (kept by CI as artefacts, ignored by git).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, async_playwright

from callcenter.admin import read_units
from callcenter.app import build_app
from callcenter.blobs.keys import BLOBS
from callcenter.demo.status import DemoStatus
from callcenter.keys import AUTH, DEMO, ORDERS, UNITS
from callcenter.settings import Settings
from tests.api_helpers import PASSWORD, FakeClock

CHROMIUM = os.environ.get("ZHITONG_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
USERS = (("agent", "agent", None), ("boss", "supervisor", None), ("jtj", "unit_handler", "区交通运输局"),
         ("zjj", "unit_handler", "区住建局"))


@dataclass
class Site:
    app: web.Application
    server: TestServer
    clock: FakeClock
    browser: Browser
    units: dict[str, str]  # name → code

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    @property
    def orders(self) -> Any:
        return self.app[ORDERS]

    @property
    def blobs(self) -> Any:
        return self.app[BLOBS]

    async def login(self, username: str) -> Page:
        context = await self.browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
        page = await context.new_page()
        await page.goto(self.url("/login"))
        await page.fill("input[name=username]", username)
        await page.fill("input[name=password]", PASSWORD)
        await page.click("button[type=submit]")
        # Under load the login's redirect can still be on its way when the click returns, and the
        # next navigation would then find no session yet: wait until the page has left /login.
        await page.wait_for_url(lambda url: "/login" not in url)
        await page.wait_for_load_state()
        return page


async def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def start_site(db_url: str, *, demo: DemoStatus | None = None, **settings: Any) -> AsyncIterator[Site]:
    """``demo``: what `serve --demo` found out about its voices at start (the pages' banner)."""
    clock = FakeClock()
    files = tempfile.mkdtemp(prefix="zt-files-")  # blobs and recordings of this server only
    settings = {"blob_dir": f"{files}/blobs", "recordings_dir": f"{files}/recordings", **settings}
    app = build_app(Settings(database_url=db_url, **settings), clock=clock, telephony=False)
    if demo is not None:
        app[DEMO] = demo
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        units = read_units("demo")
        await app[UNITS].upsert_many(units)
        by_name = {str(u["name"]): str(u["code"]) for u in units}
        for name, role, unit in USERS:
            await app[AUTH].add_user(name, PASSWORD, role, by_name[unit] if unit else None)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                yield Site(app, server, clock, browser, by_name)
            finally:
                await browser.close()
    finally:
        await server.close()
        shutil.rmtree(files, ignore_errors=True)
