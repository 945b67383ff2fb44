"""企业微信与帮扶专员 in Chromium: an administrator stores a unit group's robot key (shown masked
afterwards) and assigns a liaison officer; the liaison sees the new order of their enterprise on
帮扶提醒 and marks it read. Screenshots at 1024 and 1366 px, no sideways scrolling."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page

from callcenter.enterprises.service import DEMO_DIRECTORY, load_enterprises
from callcenter.keys import AUTH, SUPERVISION
from tests.api_helpers import ORDER, PASSWORD
from tests.browser import Site, screenshot, start_site
from worksheet.intake import NewOrder
from worksheet.model import Actor, Category, Channel, Enterprise, Role

KEY = "693a91f6-7aaa-4bc4-97a0-0ec2sifa5aaa"


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async for value in start_site(db_url):
        await value.app[AUTH].add_user("root", PASSWORD, "admin")
        await load_enterprises(value.app[SUPERVISION].orders.engine, DEMO_DIRECTORY)
        yield value


async def shots(page: Page, name: str, widths: tuple[int, ...]) -> None:
    for width in widths:
        await page.set_viewport_size({"width": width, "height": 800})
        await screenshot(page, f"{name}-{width}")
        overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways at {width} px"


async def test_an_admin_sets_a_robot_and_a_liaison_who_then_sees_the_order(site: Site) -> None:
    admin = await site.login("root")
    await admin.goto(site.url("/admin/wecom"))
    await admin.select_option("#robots select[name=unit]", site.units["区住建局"])
    await admin.fill("#robots input[name=key]", KEY)
    await admin.click("#robots button[type=submit]")
    assert "机器人密钥已保存" in await admin.inner_text(".flash")
    row = await admin.inner_text(f"#robots tr[data-unit={site.units['区住建局']}]")
    assert "693a…5aaa" in row and KEY not in await admin.content()
    await admin.fill("#liaisons input[name=enterprise]", ORDER["enterprise"]["name"])
    await admin.fill("#liaisons input[name=user]", "agent")
    await admin.fill("#liaisons input[name=mobile]", "13900139000")
    await admin.click("#liaisons button[type=submit]")
    assert "帮扶专员已指定" in await admin.inner_text(".flash")
    await shots(admin, "wecom-admin", (1024, 1366))  # an office desk, as 用户管理

    spec = NewOrder(channel=Channel.PHONE, category=Category.HELP, subject=ORDER["subject"], content=ORDER["content"],
                    enterprise=Enterprise(ORDER["enterprise"]["name"], phone="13800138000"), received_at=site.clock())
    number = (await site.orders.create(spec, Actor("boss", Role.SUPERVISOR))).number
    liaison = await site.login("agent")
    await liaison.click("nav >> text=帮扶提醒")
    await liaison.wait_for_url("**/liaison")
    assert ORDER["enterprise"]["name"] in await liaison.inner_text("#my-enterprises")
    notice = await liaison.inner_text("#liaison-notices tbody tr")
    assert number in notice and "新工单已受理" in notice and "未读" in notice
    await shots(liaison, "liaison-notices", (1024, 1366))
    await liaison.click("#liaison-notices button[type=submit]")
    assert "已读" in await liaison.inner_text("#liaison-notices tbody tr")
