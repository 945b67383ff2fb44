"""退回市级平台 in a real browser (Debian's Chromium): a signed transfer from the (fake) city platform
shows on the order page with the city's number and deadline, in Chinese; the agent returns it with a
reason, and the city hears of it. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from callcenter.city.keys import CITY_UPDATES
from callcenter.city.signing import signed_headers
from callcenter.orders.services import SYSTEM
from tests.browser import Site, screenshot, start_site
from tests.city_helpers import PATH, SECRET, TRANSFER, FakeCity, fake_city  # noqa: F401  (the `city` fixture)
from tests.test_ui_chinese import leaks
from worksheet.model import Status


@pytest.fixture
async def site(db_url: str, city: tuple[FakeCity, str]) -> AsyncIterator[Site]:
    async for site in start_site(db_url, city_secrets=(SECRET,), city_base_url=city[1]):
        city[0].clock = site.clock
        yield site


async def transfer(site: Site) -> str:
    raw = json.dumps(TRANSFER, ensure_ascii=False).encode()
    async with aiohttp.ClientSession() as http, http.post(
            site.url(PATH), data=raw, headers=signed_headers(SECRET, site.clock(), raw)) as resp:
        assert resp.status == 201, await resp.text()
        return str((await resp.json())["order_number"])


async def test_an_agent_returns_a_transfer_outside_the_district_to_the_city(site: Site,
                                                                           city: tuple[FakeCity, str]) -> None:
    number = await transfer(site)
    page = await site.login("agent")
    await page.goto(site.url(f"/orders/{number}"))
    facts = await page.inner_text("dl.facts")
    assert TRANSFER["city_order_id"] in facts and "市级平台工单号" in facts and "2026-11-25 18:00" in facts
    assert "13800138000" not in await page.inner_text("main")  # the city's phone is masked like any other
    form = page.locator("form[data-action='return-to-city']")
    assert (await form.locator("button").inner_text()).strip() == "退回市级平台"
    assert leaks(await page.content(), set(site.units.values()), data=(number, TRANSFER["city_order_id"])) == []
    await screenshot(page, "city-transfer-order")

    await form.locator("button").click()  # no reason: the browser keeps the form (the field is required)
    assert (await site.orders.get(number, SYSTEM)).status == Status.REGISTERED
    await form.locator("textarea[name=reason]").fill("事发地在高新区，不属本区管辖")
    await form.locator("button").click()
    await page.wait_for_url(f"**/orders/{number}?done=return-to-city")
    main = await page.inner_text("main")
    assert "已完成：退回市级平台" in main and "事发地在高新区，不属本区管辖" in main
    assert (await page.inner_text("h1 .badge")).strip() == "已退回市级平台"
    assert await page.locator("form[data-action='return-to-city']").count() == 0
    await screenshot(page, "city-transfer-returned")
    order = await site.orders.get(number, SYSTEM)
    assert order.status == Status.RETURNED_TO_CITY and order.history[-1].actor == "agent"

    updates = site.app[CITY_UPDATES]
    for _ in range(3):
        await updates.run_due()
        site.clock.now += timedelta(minutes=5)
    fake = city[0]
    for _ in range(100):  # the server's own loop may be delivering the last one right now
        if len(fake.received) == 2:
            break
        await updates.run_due()
        await asyncio.sleep(0.05)
    assert [u["type"] for u in fake.received] == ["accepted", "returned"]
    assert fake.received[1]["reason"] == "事发地在高新区，不属本区管辖"
