"""Paged lists in Chromium: the draft queue, the unit's inbox, the supervisor's board, order search,
knowledge, users and the board's SMS/fax/callback problem lists — longer than one page, hostile page
numbers, live updates beside paging."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page
from sqlalchemy import insert

from callcenter.db.tables import callback_jobs, sms_inbound, sms_outbox
from callcenter.keys import AUTH, FAXES
from callcenter.orders.services import SYSTEM
from tests.api_helpers import PASSWORD
from tests.browser import Site, screenshot, start_site
from worksheet import commands as c
from worksheet.intake import NewOrder
from worksheet.model import Actor, Category, Channel, Enterprise, Role

AGENT = Actor("agent", Role.AGENT)


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async for value in start_site(db_url):
        yield value


async def create(site: Site, i: int, *, draft: bool = False) -> str:
    order = NewOrder(channel=Channel.SMS if draft else Channel.PHONE, category=Category.HELP, draft=draft,
                     enterprise=Enterprise(name=f"测试企业{i:03d}有限公司", phone=f"1380013{i:04d}"),
                     subject=f"第{i:03d}件诉求", content=f"第{i:03d}件诉求的内容，各不相同。", received_at=site.clock())
    return (await site.orders.create(order, SYSTEM if draft else AGENT)).number


async def rows(page: Page, within: str) -> list[str]:
    return await page.locator(f"{within} tr[data-number]").evaluate_all("rs => rs.map(r => r.dataset.number)")


async def test_the_draft_queue_pages_and_later_pages_say_there_is_news(site: Site) -> None:
    numbers = [await create(site, i, draft=True) for i in range(45)]
    page = await site.login("agent")
    first = await rows(page, "#drafts")
    assert first == numbers[::-1][:20]  # newest first
    assert await page.inner_text("#drafts .page-of") == "第 1 / 3 页，共 45 条"
    assert await page.get_attribute("#drafts", "data-refresh") == "/agent/drafts"
    await page.click("#drafts a[rel=next]")
    await page.wait_for_url("**/agent?page=2#drafts")
    assert await rows(page, "#drafts") == numbers[::-1][20:40]
    assert await page.get_attribute("#drafts", "data-refresh") is None  # page 2 does not shift under the reader
    for width in (1024, 1366):
        await page.set_viewport_size({"width": width, "height": 900})
        await screenshot(page, f"paging-drafts-page2-{width}")
    await page.wait_for_selector("body[data-live='on']", state="attached")
    newest = await create(site, 99, draft=True)
    await page.wait_for_selector("#drafts [data-stale-notice]:not([hidden])", timeout=5_000)
    assert newest not in await rows(page, "#drafts")
    await page.click("#drafts [data-stale-notice] a")
    await page.wait_for_url("**/agent#drafts")
    assert (await rows(page, "#drafts"))[0] == newest
    # Page 1 refreshes live.
    latest = await create(site, 100, draft=True)
    await page.wait_for_selector(f"#drafts tr[data-number='{latest}']", timeout=5_000)
    await page.click("#drafts a[rel=next]")
    await page.click("#drafts a[rel=next]")
    await page.wait_for_url("**/agent?page=3#drafts")
    assert len(await rows(page, "#drafts")) == 7 and await page.locator("#drafts a[rel=next]").count() == 0


async def test_hostile_page_numbers_are_a_clear_400_or_clamped(site: Site) -> None:
    for i in range(25):
        await create(site, i, draft=True)
    page = await site.login("agent")
    for bad in ("abc", "1.5", "１", "²", "9" * 40):
        response = await page.goto(site.url(f"/agent?page={bad}"))
        assert response is not None and response.status == 400, bad
        assert "页码必须是数字" in await page.inner_text("main")
    response = await page.goto(site.url("/agent?page=%00"))  # refused before any view, in Chinese too
    assert response is not None and response.status == 400
    response = await page.goto(site.url("/agent?page=-3"))
    assert response is not None and response.status == 200 and "第 1 / 2 页" in await page.inner_text("#drafts")
    response = await page.goto(site.url("/agent?page=999999999999"))
    assert response is not None and response.status == 200
    assert page.url.endswith("/agent?page=2#drafts") and len(await rows(page, "#drafts")) == 5
    response = await page.goto(site.url("/orders?status=draft&q=诉求&page=0"))
    assert response is not None and response.status == 200


async def test_order_search_pages_keep_the_filters(site: Site) -> None:
    for i in range(58):
        await create(site, i, draft=i >= 5)  # 53 drafts (search shows 50 a page), 5 registered
    page = await site.login("boss")
    await page.goto(site.url("/orders?status=draft&q=诉求"))
    assert "第 1 / 2 页，共 53 条" in await page.inner_text(".pager")
    await page.click(".pager a[rel=next]")
    assert "status=draft" in page.url and "page=2" in page.url
    assert await page.input_value("input[name=q]") == "诉求"
    assert len(await rows(page, "table.list")) == 3


async def test_the_board_pages_each_list_on_its_own(site: Site) -> None:
    registered = [await create(site, i) for i in range(13)]
    returned = []
    for i in range(12):
        number = await create(site, 100 + i)
        await site.orders.act(number, c.Dispatch(actor=AGENT, lead_unit=site.units["区交通运输局"]))
        await site.orders.act(number, c.Return(actor=Actor("jtj", Role.UNIT_HANDLER, site.units["区交通运输局"]),
                                               reason="不属于本单位职责", basis="三定方案"))
        returned.append(number)
    page = await site.login("boss")
    assert len(await rows(page, "#registered")) == 10 and len(await rows(page, "#returned")) == 10
    await page.click("#returned a[rel=next]")
    await page.click("#registered a[rel=next]")
    assert "returned_page=2" in page.url and "registered_page=2" in page.url  # one list's paging keeps the other's
    assert set(await rows(page, "#registered")) == set(registered[:3])
    assert set(await rows(page, "#returned")) == set(returned[:2])
    for width in (1024, 1366):
        await page.set_viewport_size({"width": width, "height": 900})
        await screenshot(page, f"paging-board-{width}")


async def test_the_unit_inbox_pages_soonest_deadline_first(site: Site) -> None:
    numbers = []
    for i in range(23):
        numbers.append(await create(site, i))
        await site.orders.act(numbers[-1], c.Dispatch(actor=AGENT, lead_unit=site.units["区交通运输局"]))
        site.clock.now = site.clock.now.replace(minute=(i + 1) % 60, hour=9 + (i + 1) // 60)
    page = await site.login("jtj")
    first = await rows(page, "#inbox")
    assert first == numbers[:20]  # the oldest dispatch has the soonest deadline
    await page.click(".pager a[rel=next]")
    assert await rows(page, "#inbox") == numbers[20:]
    assert await page.get_attribute("#inbox", "data-refresh") is None


async def test_users_and_knowledge_lists_page(site: Site) -> None:
    auth = site.app[AUTH]
    await auth.add_user("root", PASSWORD, "admin")
    for i in range(25):
        await auth.add_user(f"agent{i:02d}", PASSWORD, "agent")
    page = await site.login("root")
    await page.goto(site.url("/admin/users"))
    assert "共 30 条" in await page.inner_text(".pager")
    assert await page.locator("tr[data-user]").count() == 20
    await page.click(".pager a[rel=next]")
    assert await page.locator("tr[data-user]").count() == 10
    from callcenter.knowledge.keys import KNOWLEDGE
    for i in range(23):
        await site.app[KNOWLEDGE].create({"title": f"条目{i:02d}", "body": "内容", "category": "政策", "keywords": []},
                                         by="boss")
    await page.goto(site.url("/knowledge?page=2"))
    assert await page.locator(".kb-hits > li").count() == 3
    assert await page.get_attribute(".kb-hits", "start") == "21"


async def board_problems(site: Site) -> None:
    """13 unanswered callback surveys, 12 inbound SMS the system gave up on, 11 undelivered SMS, 3 failed faxes."""
    now, engine = site.clock(), site.app[FAXES].receipts.engine
    async with engine.begin() as conn:
        await conn.execute(insert(callback_jobs), [
            {"order_number": f"20261123-{i:04d}", "cycle": 1, "phone": f"1390013{i:04d}", "status": "unreachable",
             "attempts": 3, "due_at": now, "last_outcome": "sms_unanswered", "created_at": now, "updated_at": now}
            for i in range(13)])
        await conn.execute(insert(sms_inbound), [
            {"message_sid": f"SM{i:03d}", "sender": f"1370013{i:04d}", "recipient": "12345", "body": f"第{i}条短信",
             "received_at": now, "outcome": "dead_letter", "attempts": 5, "last_error": "OrderNotFound: gone"}
            for i in range(12)])
        await conn.execute(insert(sms_outbox), [
            {"idempotency_key": f"k{i}", "template": "received", "params": {}, "to_phone": f"1360013{i:04d}",
             "body": f"您的诉求已受理{i}", "status": "undelivered", "attempts": 1, "next_attempt_at": now,
             "created_at": now, "updated_at": now} for i in range(11)])
    for i in range(3):
        await site.app[FAXES].receipts.record(linkedid=f"fax-{i}", caller="13500135000", status="failed", pages=0,
                                              fax_status="FAILED", file=None, error="fax not received", now=now)


async def test_the_boards_problem_lists_page_with_true_totals(site: Site) -> None:
    await board_problems(site)
    page = await site.login("boss")
    counts = {key: await page.inner_text(f"#{key} h2 .count")
              for key in ("unreachable", "dead-sms", "sms-problems", "fax-problems")}
    assert counts == {"unreachable": "13", "dead-sms": "12", "sms-problems": "11", "fax-problems": "3"}
    assert await page.inner_text("#unreachable .page-of") == "第 1 / 2 页，共 13 条"
    assert await page.locator("#unreachable tr[data-row]").count() == 10
    assert await page.locator("#fax-problems .pager").count() == 0  # one page: no pager
    text = await page.inner_text("main")
    assert "短信未回复" in text and "未送达" in text and "接收失败" in text and "关联的工单不存在" in text
    assert "sms_unanswered" not in text and "undelivered" not in text and "13900130000" not in text
    assert "13500135000" not in text and "13600130000" not in text  # numbers masked
    await page.click("#unreachable a[rel=next]")
    await page.wait_for_url("**/supervisor?unreachable_page=2#unreachable")
    assert await page.locator("#unreachable tr[data-row]").count() == 3
    await page.click("#dead-sms a[rel=next]")
    assert "unreachable_page=2" in page.url and "dead_sms_page=2" in page.url  # paging one keeps the other
    assert await page.locator("#unreachable tr[data-row]").count() == 3
    assert await page.locator("#dead-sms tr[data-row]").count() == 2
    await page.click("#sms-problems a[rel=next]")
    assert await page.locator("#sms-problems tr[data-row]").count() == 1
    assert await page.locator("#dead-sms tr[data-row]").count() == 2
    await page.set_viewport_size({"width": 1024, "height": 900})
    await screenshot(page, "paging-board-problems-1024")
    response = await page.goto(site.url("/supervisor?unreachable_page=abc"))
    assert response is not None and response.status == 400 and "页码必须是数字" in await page.inner_text("main")
    await page.goto(site.url("/supervisor?fax_problems_page=99&dead_sms_page=2"))
    assert page.url.endswith("/supervisor?dead_sms_page=2#fax-problems")  # past the end: the last page
