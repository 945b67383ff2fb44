"""The enterprise portal in Chromium at phone width (375 px) and at desktop width: an enterprise
submits a request (the SMS code read from the SMS fake, as it would be read from the phone), then
tracks it, adds a supplement and rates it. Forms are checked for bound labels, errors next to their
fields (aria-invalid, aria-describedby) and no sideways scrolling. Screenshots per width."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from playwright.async_api import Page

from callcenter.orders.services import SYSTEM
from tests.browser import Site, screenshot, start_site
from tests.portal_helpers import COMPANY, CREDIT_CODE, PHONE, PNG, CapturedSms, prepare, to_survey
from worksheet.model import Channel, Rating, Status

WIDTHS = {"phone": (375, 740), "desktop": (1366, 900)}
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(el => !(el.id && document.querySelector(`label[for="${el.id}"]`)) && !el.closest('label'))
    .map(el => el.name)"""
WIDER_THAN_SCREEN = "() => document.documentElement.scrollWidth > window.innerWidth"


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async for site in start_site(db_url, portal="on"):
        yield site


async def accessible(page: Page) -> None:
    assert await page.evaluate(UNLABELLED) == []
    assert not await page.evaluate(WIDER_THAN_SCREEN)


async def test_an_enterprise_submits_tracks_supplements_and_rates_in_the_browser(site: Site) -> None:
    sms = await prepare(site.app)
    for name, (width, height) in WIDTHS.items():
        context = await site.browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
        page = await context.new_page()
        phone = PHONE if name == "phone" else "13987654321"
        number = await submit(site, page, sms, name, phone)
        order = await site.orders.get(number, SYSTEM)
        assert order.status == Status.DRAFT and order.channel == Channel.WEB and len(order.attachments) == 1
        await to_survey(site.app, number)
        site.clock.now += timedelta(minutes=2)  # the next code to the same number may go
        await track_and_rate(site, page, sms, name, number, phone)
        rated = await site.orders.get(number, SYSTEM)
        assert rated.status == Status.CLOSED and [r.rating for r in rated.callbacks] == [Rating.BASICALLY_SATISFIED]
        assert any(e.type == "supplement" and e.data["text"] == "夜间临时通道仍然关闭。" for e in rated.history)
        await context.close()
    # The agent sees the enterprise's supplement and rating on the order page.
    agent = await site.login("agent")
    await agent.goto(site.url(f"/orders/{number}"))
    text = await agent.locator("main").inner_text()
    assert "夜间临时通道仍然关闭。" in text and "基本满意" in text and "13987654321" not in text


async def submit(site: Site, page: Page, sms: CapturedSms, name: str, phone: str) -> str:
    await page.goto(site.url("/portal"))
    await accessible(page)
    await page.get_by_label("企业名称").type("华翔物", delay=30)
    await page.wait_for_function("() => document.querySelectorAll('#enterprise-names option').length > 0")
    assert await page.eval_on_selector("#enterprise-names option", "o => o.value") == COMPANY
    await page.get_by_label("企业名称").fill(COMPANY)
    await page.get_by_label("统一社会信用代码").fill(CREDIT_CODE[:-1] + "X")  # a typo: the check character
    await page.get_by_label("联系人").fill("吴杰")
    await page.get_by_label("手机号码").fill(phone)
    await page.get_by_role("button", name="获取验证码").click()
    await page.get_by_role("status").filter(has_text="验证码已发送").wait_for()
    code = sms.last_code(phone)
    await page.get_by_label("短信验证码").fill(code)
    await page.get_by_label("诉求类别").select_option(label="求助")
    await page.get_by_label("反映内容").fill("华翔路道路施工已三个月，附近企业货物无法运出，请协调开放临时通道。")
    await page.get_by_role("button", name="提交留言").click()
    # The wrong credit code is named next to its field; everything typed is still there.
    field = page.locator("#f-credit_code")
    await field.and_(page.locator("[aria-invalid=true]")).wait_for()
    assert await field.get_attribute("aria-describedby") == "e-credit_code"
    assert "统一社会信用代码不正确" in await page.locator("#e-credit_code").inner_text()
    assert await page.get_by_label("联系人").input_value() == "吴杰"
    await screenshot(page, f"portal-submit-error-{name}")
    await field.fill(CREDIT_CODE)
    await page.get_by_label("短信验证码").fill(code)  # not kept: typed again
    await page.get_by_label("附件").set_input_files([{"name": "现场.png", "mimeType": "image/png", "buffer": PNG}])
    await accessible(page)
    await page.get_by_role("button", name="提交留言").click()
    await page.wait_for_url("**/portal/done?**")
    await accessible(page)
    await screenshot(page, f"portal-submitted-{name}")
    return (await page.locator("#order-number").inner_text()).strip()


async def track_and_rate(site: Site, page: Page, sms: CapturedSms, name: str, number: str, phone: str) -> None:
    await page.get_by_role("link", name="查询办理进度").click()
    await page.get_by_label("工单编号").fill(number)
    await page.get_by_label("手机号码").fill(phone)
    await page.get_by_role("button", name="获取验证码").click()
    await page.get_by_role("status").filter(has_text="验证码已发送").wait_for()
    await page.get_by_label("短信验证码").fill(sms.last_code(phone))
    await page.get_by_role("button", name="查询").click()
    await page.wait_for_url("**/portal/order")
    assert await page.locator("#order-status").inner_text() == "待回访"
    assert "开放临时通道" in await page.locator("#order-reply").inner_text()
    body = await page.locator("main").inner_text()
    assert phone not in body and f"{phone[:3]}****{phone[-4:]}" in body
    await accessible(page)
    await screenshot(page, f"portal-order-{name}")
    await page.get_by_label("补充内容").fill("夜间临时通道仍然关闭。")
    await page.get_by_role("button", name="提交补充").click()
    await page.get_by_role("status").filter(has_text="补充内容已提交").wait_for()
    await page.get_by_role("button", name="提交评价").click()  # nothing chosen yet
    await page.locator("#e-rating").wait_for()
    await page.get_by_label("基本满意").check()
    await page.get_by_label("评价意见").fill("处理及时")
    await page.get_by_role("button", name="提交评价").click()
    await page.get_by_role("status").filter(has_text="感谢您的评价").wait_for()
    assert "基本满意：处理及时" in await page.locator("#order-rating").inner_text()
    assert await page.get_by_role("button", name="提交评价").count() == 0
    await screenshot(page, f"portal-rated-{name}")
