"""Possible duplicates (疑似重复) in a real browser (issue 14, item 4): the draft page lists the orders
a filled draft may duplicate, linked, in Chinese; the agent dismisses one, or edits the phone, saves
(the check runs again) and merges into the order found. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from callcenter.orders.services import SYSTEM
from tests.browser import Site, screenshot, start_site
from tests.page_helpers import FAX, fax_draft
from tests.test_ui_chinese import leaks
from worksheet.intake import NewOrder
from worksheet.model import Category, Channel, Enterprise, Status

SAME_MATTER = "绵阳华翔物流有限公司反映：华翔路道路施工，货车无法通行，请交通部门协调。"


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async for site in start_site(db_url):
        yield site


async def test_a_draft_shows_its_possible_duplicates_and_the_agent_dismisses_one(site: Site) -> None:
    first = await fax_draft(site.app, site.clock())
    second = await fax_draft(site.app, site.clock(), FAX)  # the same fax, sent again
    page = await site.login("agent")
    await page.goto(site.url(f"/agent/drafts/{second}"))
    section = page.locator("section.duplicates")
    assert (await section.locator("h2").inner_text()).strip() == "疑似重复（1 件）"
    row = section.locator(f"li[data-duplicate='{first}']")
    other = await site.orders.get(first, SYSTEM)
    assert (await row.locator("a").inner_text(), await row.locator(".badge").inner_text()) == (first, "草稿")
    assert (await row.locator(".enterprise").inner_text(), await row.locator(".subject").inner_text()) == (
        other.enterprise.name, other.subject)
    assert other.enterprise.phone == "13800138000" and "13800138000" not in await section.inner_text()  # no phone
    html = await page.content()
    assert leaks(html, set(site.units.values()), data=(first, second)) == []
    await screenshot(page, "duplicates-draft")

    await row.locator("a").click()  # the link leads to the other order, which lists this one back
    await page.wait_for_url(f"**/orders/{first}")
    assert await page.locator(f"section.duplicates li[data-duplicate='{second}'] a").count() == 1
    await page.go_back()
    await page.wait_for_url(f"**/agent/drafts/{second}")

    await page.click(f"button[data-dismiss='{first}']")
    await page.wait_for_url(f"**/agent/drafts/{second}?done=dismiss")
    assert "已排除该疑似重复，今后不再提示" in await page.inner_text("main")
    assert await page.locator("section.duplicates").count() == 0
    order = await site.orders.get(second, SYSTEM)
    assert order.possible_duplicates == () and order.dismissed_duplicates == (first,)


async def test_editing_the_phone_finds_the_open_order_and_the_agent_merges_into_it(site: Site) -> None:
    agent = (await site.orders.create(NewOrder(
        channel=Channel.PHONE, category=Category.HELP,
        enterprise=Enterprise(name="绵阳华翔物流有限公司", phone="13800138000"), subject="道路施工货车无法通行",
        content=SAME_MATTER, received_at=site.clock()), SYSTEM)).number
    # A message left from another phone, which the transcript did not tie to the enterprise.
    draft = (await site.orders.create(NewOrder(
        channel=Channel.PHONE, category=Category.HELP, enterprise=Enterprise(name="来电 139****0000", phone="13900000000"),
        subject="道路施工货车无法通行", content=SAME_MATTER, received_at=site.clock(), draft=True), SYSTEM)).number
    page = await site.login("agent")
    await page.goto(site.url(f"/agent/drafts/{draft}"))
    assert await page.locator("section.duplicates").count() == 0
    await page.fill("input[name=enterprise_phone]", "138-0013-8000")  # the caller gives the company's number
    await page.click("button[data-save-draft]")
    await page.wait_for_url(f"**/agent/drafts/{draft}?done=amend")
    assert "已保存修改，并已重新检查疑似重复" in await page.inner_text("main")
    link = page.locator(f"section.duplicates li[data-duplicate='{agent}'] a")
    assert await link.get_attribute("href") == f"/orders/{agent}"
    assert "已登记" in await page.inner_text(f"section.duplicates li[data-duplicate='{agent}']")
    await screenshot(page, "duplicates-after-edit")

    await page.click(f"button[data-merge='{agent}']")
    await page.wait_for_url(f"**/orders/{draft}?done=merge")
    assert (await page.inner_text("dd.merged-into")).strip() == f"已合并至 {agent}"
    merged = await site.orders.get(draft, SYSTEM)
    assert merged.status == Status.MERGED and merged.merged_into == agent


async def test_a_duplicate_found_while_the_agent_fills_the_form_is_shown_before_confirming(site: Site) -> None:
    first = await fax_draft(site.app, site.clock())
    page = await site.login("agent")
    await page.goto(site.url(f"/agent/drafts/{first}"))
    assert await page.locator("section.duplicates").count() == 0
    await page.fill("input[name=enterprise_contact_person]", "王经理（调度）")
    again = await fax_draft(site.app, site.clock())  # the same fax arrives meanwhile and is flagged on this one
    await page.click("form.draft-form button[type=submit]")  # confirm, on the form loaded before
    await page.wait_for_url(f"**/agent/drafts/{first}/confirm")
    main = await page.inner_text("main")
    assert "在您填写期间，系统发现了新的疑似重复工单" in main
    assert await page.locator(f"section.duplicates li[data-duplicate='{again}'] a").count() == 1
    assert await page.input_value("input[name=enterprise_contact_person]") == "王经理（调度）"  # kept as typed
    await screenshot(page, "duplicates-found-meanwhile")
    await page.click("form.draft-form button[type=submit]")  # the agent looked, and confirms
    await page.wait_for_url(f"**/orders/{first}?done=confirm")
    assert await page.locator(f"section.duplicates li[data-duplicate='{again}']").count() == 1
    order = await site.orders.get(first, SYSTEM)
    assert order.status == Status.REGISTERED and order.enterprise.contact_person == "王经理（调度）"
