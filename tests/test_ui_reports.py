"""The reports form and the supervisor's reply panel in a real browser (tests/browser.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from callcenter.keys import POLICY
from tests.browser import Site, screenshot, start_site
from worksheet import commands as c
from worksheet.deadlines import handling_deadline
from worksheet.intake import NewOrder
from worksheet.model import Actor, Category, Channel, Enterprise, Role

AGENT = Actor("agent", Role.AGENT)
ENGLISH = re.compile(r"[A-Za-z]{3,}")


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async for site in start_site(db_url):
        yield site


async def test_the_date_control_follows_the_period(site: Site) -> None:
    page = await site.login("boss")
    await page.goto(site.url("/reports?period=month&date=2026-12"))
    assert not await page.is_visible("input[name=date]")  # the script shows a control per period instead
    assert await page.input_value("[data-part=year]") == "2026" and await page.input_value("[data-part=month]") == "12"
    await page.select_option("select[name=period]", "quarter")  # the issue: only the period changed
    assert await page.is_visible("[data-part=quarter]") and not await page.is_visible("[data-part=month]")
    assert await page.input_value("[data-part=quarter]") == "4"
    await screenshot(page, "reports-quarter-picker")
    await page.click("#period-form button[type=submit]")
    await page.wait_for_url("**/reports?period=quarter&date=2026-Q4")
    assert "2026年第4季度" in await page.inner_text("h1")
    await page.select_option("select[name=period]", "year")
    await page.fill("[data-part=year]", "2025")
    await page.click("#period-form button[type=submit]")
    await page.wait_for_url("**/reports?period=year&date=2025")
    assert "2025年" in await page.inner_text("h1")
    await page.select_option("select[name=period]", "week")
    assert await page.inner_text("label:has([data-part=day])") == "该周任一天"
    await page.fill("[data-part=day]", "2026-11-25")
    await page.click("#period-form button[type=submit]")
    await page.wait_for_url("**/reports?period=week&date=2026-W48")
    assert "2026年第48周" in await page.inner_text("h1")
    href = await page.get_attribute("text=导出 Excel", "href")
    assert href == "/reports/export.xlsx?period=week&date=2026-W48"


async def test_a_mismatched_or_unreadable_date_without_the_script(site: Site) -> None:
    page = await site.login("boss")
    response = await page.goto(site.url("/reports?period=quarter&date=2026-12"))  # what a script-less form sends
    assert response is not None and response.status == 200
    assert "2026年第4季度" in await page.inner_text("h1")
    response = await page.goto(site.url("/reports?period=month&date=12%2F2026"))
    assert response is not None and response.status == 422
    error = await page.inner_text(".flash.error")
    assert "日期“12/2026”无法识别" in error and not ENGLISH.search(error)
    assert await page.input_value("input[name=date]") == "12/2026"  # kept to correct, in view
    assert await page.is_visible("input[name=date]")
    assert await page.input_value("select[name=period]") == "month"
    await screenshot(page, "reports-bad-date")


async def test_the_reply_panel_shows_the_deadline_the_reply_answered(site: Site) -> None:
    unit = Actor("zjj", Role.UNIT_HANDLER, site.units["区住建局"])
    spec = NewOrder(channel=Channel.PHONE, category=Category.HELP, enterprise=Enterprise("绵阳华翔物流有限公司"),
                    subject="道路施工影响货物运输", content="华翔路道路施工，货物无法运出。", received_at=site.clock())
    number = (await site.orders.create(spec, AGENT)).number
    await site.orders.act(number, c.Dispatch(actor=AGENT, lead_unit=unit.unit or ""))
    due = handling_deadline(await site.orders.get(number, AGENT), site.app[POLICY])
    assert due is not None
    await site.orders.act(number, c.Accept(actor=unit))
    await site.orders.act(number, c.Reply(actor=unit, content="已协调施工方开放临时通道。"))
    page = await site.login("boss")
    await page.goto(site.url("/supervisor"))
    cell = await page.inner_text(f"#replied tr[data-number='{number}'] td.due")
    assert cell == f"{due.due:%Y-%m-%d %H:%M}（按时答复）"
