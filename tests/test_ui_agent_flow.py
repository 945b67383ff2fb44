"""The agent's flow in a real browser (issue 13, item 11): a fax draft without its machine header,
with its contact filled in and its content said once; the suggested unit preselected at dispatch; a
merge linked both ways; a direct answer shown as the answer. Screenshots at 1024 and 1366 px."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page

from callcenter.orders.services import SYSTEM
from tests.browser import Site, screenshot, start_site
from tests.page_helpers import fax_draft as draft
from worksheet import commands as c
from worksheet.intake import NewOrder
from worksheet.model import Actor, Category, Channel, Enterprise, Role, Status

AGENT = Actor("agent", Role.AGENT)
WIDTHS = (1024, 1366)


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async for site in start_site(db_url):
        yield site


async def fax_draft(site: Site) -> str:
    return await draft(site.app, site.clock())


async def shots(page: Page, name: str) -> None:
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await screenshot(page, f"agent-flow-{name}-{width}")


async def test_an_agent_confirms_a_fax_draft_and_dispatches_to_the_suggested_unit(site: Site) -> None:
    number = await fax_draft(site)
    page = await site.login("agent")
    await page.goto(site.url(f"/agent/drafts/{number}"))
    assert await page.input_value("input[name=enterprise_contact_person]") == "王经理"
    content = await page.input_value("textarea[name=content]")
    assert content.startswith("绵阳华翔物流有限公司反映") and content.count("华翔路道路施工") == 1
    assert "FROM" not in await page.inner_text("main") and "来信" not in await page.inner_text("main")
    assert "传真" in await page.inner_text("h1")
    await shots(page, "fax-draft")
    await page.fill("input[name=enterprise_phone]", "")  # a landline fax number: the agent clears it
    await page.click("form.draft-form button[type=submit]")
    await page.wait_for_url(f"**/orders/{number}?done=confirm")
    select = "form[data-action=dispatch] select[name=lead_unit]"
    assert await page.input_value(select) == site.units["区交通运输局"]
    await shots(page, "dispatch-suggested")
    await page.fill("form[data-action=dispatch] input[name=note]", "请尽快核实")
    await page.click("form[data-action=dispatch] button[type=submit]")
    await page.wait_for_url(f"**/orders/{number}?done=dispatch")
    history = " ".join((await page.inner_text("ol.history")).split())
    assert "派单：已登记 → 已派单（备注：请尽快核实）" in history and "system" not in history
    order = await site.orders.get(number, SYSTEM)
    assert order.status == Status.DISPATCHED and order.lead_unit == site.units["区交通运输局"]
    await shots(page, "dispatched")


async def test_a_merge_links_both_ways_and_a_direct_answer_is_the_answer(site: Site) -> None:
    target = (await site.orders.create(NewOrder(
        channel=Channel.PHONE, category=Category.CONSULTATION, enterprise=Enterprise(name="绵阳华翔物流有限公司"),
        subject="高新技术企业认定时间", content="想问高新技术企业认定什么时候受理。", received_at=site.clock()), AGENT)).number
    draft = await fax_draft(site)
    page = await site.login("agent")
    await page.goto(site.url(f"/agent/drafts/{draft}"))
    await page.fill("input[name=into]", target)
    await page.click("form[action$='/merge'] button[type=submit]")
    await page.wait_for_url(f"**/orders/{draft}?done=merge")
    assert (await page.inner_text("dd.merged-into")).strip() == f"已合并至 {target}"
    await shots(page, "merged")
    await page.click("dd.merged-into a")
    await page.wait_for_url(f"**/orders/{target}")
    assert (await page.inner_text("dd.merged-from")).strip() == draft
    await site.orders.act(target, c.AnswerDirectly(actor=AGENT, answer="每年受理一次，请关注区科技局通知。"))
    await page.reload()
    assert await page.inner_text(".direct-answer") == "每年受理一次，请关注区科技局通知。"
    await shots(page, "direct-answer")
