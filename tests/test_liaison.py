"""Liaison officers (帮扶专员), on SQLite and PostgreSQL: an admin assigns one to an enterprise and
sets how to reach them; new orders and overdue cards of that enterprise reach the liaison on their
page, by SMS (through the SMS port) and in the liaison WeCom group (a local fake); reports count
orders per liaison."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from api_helpers import ORDER, Api
from fake_wecom import FakeWeCom, api_with_directory
from page_helpers import page
from sqlalchemy import delete

from callcenter.db.wecom_tables import liaison_notices, wecom_outbox
from callcenter.keys import ORDERS, SMS, SUPERVISION
from callcenter.liaison.keys import LIAISONS
from callcenter.liaison.triggers import LiaisonTriggers
from callcenter.wecom.keys import WECOM_NOTIFIER
from callcenter.wecom.triggers import replay_recent

LIAISON_ROBOT = "11111111-2222-3333-4444-555555555555"
HUAXIANG = "绵阳华翔物流有限公司"


@pytest.fixture
async def wecom() -> AsyncIterator[FakeWeCom]:
    async with FakeWeCom(robots={LIAISON_ROBOT}) as fake:
        yield fake


@pytest.fixture
async def api(db_url: str, wecom: FakeWeCom) -> AsyncIterator[Api]:
    async for value in api_with_directory(db_url, wecom_api_base=wecom.base_url):
        yield value


async def assign(api: Api, *, mobile: str | None = "13900139000", wecom_userid: str | None = "liaison.li") -> None:
    assert (await api.call("admin", "PUT", "/api/v1/liaisons", {"enterprise": HUAXIANG, "user": "agent"}))[0] == 200
    status, body = await api.call("admin", "PUT", "/api/v1/liaisons/contacts/agent",
                                  {"mobile": mobile, "wecom_userid": wecom_userid})
    assert status == 200, body


async def settled(api: Api) -> None:
    """The API answers before an order's notices are queued (callcenter.orders.services: fan-out)."""
    await api.client.server.app[ORDERS].settle()


async def notices(api: Api, who: str = "agent") -> list[dict]:  # type: ignore[type-arg]
    await settled(api)
    status, data = await api.call(who, "GET", "/api/v1/liaison/notices")
    assert status == 200
    return data["notices"]


async def group_texts(api: Api, wecom: FakeWeCom, count: int) -> list[dict]:  # type: ignore[type-arg]
    for _ in range(50):
        if len(wecom.messages) >= count:
            break
        await api.client.server.app[WECOM_NOTIFIER].run_due()
        await asyncio.sleep(0.02)
    return [body["text"] for _, body in wecom.messages]


async def test_a_new_order_and_its_cards_reach_the_liaison_on_page_sms_and_wecom(api: Api, wecom: FakeWeCom) -> None:
    await assign(api)
    await api.call("admin", "PUT", "/api/v1/wecom/robots/liaison", {"key": LIAISON_ROBOT})
    _, order = await api.call("agent", "POST", "/api/v1/orders", ORDER)
    number = order["number"]
    (notice,) = await notices(api)
    assert notice["kind"] == "new" and notice["order_number"] == number and HUAXIANG in notice["text"]
    assert notice["read_at"] is None
    assert await notices(api, "boss") == []  # someone else's page shows nothing
    sms = await api.client.server.app[SMS].outbox.list(order_number=number)
    (to_liaison,) = [m for m in sms if m.template == "liaison_notice"]
    assert to_liaison.to_phone == "+8613900139000" and number in to_liaison.body and "已受理" in to_liaison.body
    (text,) = await group_texts(api, wecom, 1)
    assert text["mentioned_list"] == ["liaison.li"] and number in text["content"] and "帮扶提醒" in text["content"]
    # Overdue: the yellow card, then the red one a working day later, each told once.
    await api.act("agent", number, "dispatch", {"lead_unit": api.units["区住建局"]})
    for later in (timedelta(days=30), timedelta(days=5)):
        api.clock.now += later
        await api.client.server.app[SUPERVISION].run()
        await api.client.server.app[SUPERVISION].run()  # a second sweep issues and tells nothing new
    kinds = [n["kind"] for n in await notices(api)]
    assert kinds == ["red", "yellow", "new"]
    texts = await group_texts(api, wecom, 3)
    assert len(texts) == 3 and "红灯" in texts[2]["content"]
    bodies = [m.body for m in await api.client.server.app[SMS].outbox.list(order_number=number)
              if m.template == "liaison_notice"]
    assert sorted(bodies) == sorted(set(bodies)) and len(bodies) == 3


async def test_without_contacts_the_page_alone_tells_and_orders_of_others_tell_nobody(api: Api, wecom: FakeWeCom) -> None:
    await assign(api, mobile=None, wecom_userid=None)
    await api.call("admin", "PUT", "/api/v1/wecom/robots/liaison", {"key": LIAISON_ROBOT})
    _, mine = await api.call("agent", "POST", "/api/v1/orders", ORDER)
    other = {**ORDER, "enterprise": {**ORDER["enterprise"], "name": "四川涪江食品有限公司", "credit_code": None}}
    await api.call("agent", "POST", "/api/v1/orders", other)
    assert [n["order_number"] for n in await notices(api)] == [mine["number"]]
    sms = await api.client.server.app[SMS].outbox.list()
    assert [m for m in sms if m.template == "liaison_notice"] == []
    await api.client.server.app[WECOM_NOTIFIER].run_due()
    assert wecom.messages == []


async def test_assignment_is_for_admins_and_checks_what_it_names(api: Api) -> None:
    cases = [("agent", {"enterprise": HUAXIANG, "user": "agent"}, 403),
             ("admin", {"enterprise": "不存在的公司", "user": "agent"}, 422),
             ("admin", {"enterprise": HUAXIANG, "user": "nobody"}, 422),
             ("admin", {"enterprise": HUAXIANG, "user": "zjj"}, 422),  # a unit account is no liaison
             ("admin", {"enterprise": HUAXIANG}, 422)]
    for who, body, status in cases:
        assert (await api.call(who, "PUT", "/api/v1/liaisons", body))[0] == status, body
    for body in ({"mobile": "12345"}, {"wecom_userid": "bad id!"}):
        assert (await api.call("admin", "PUT", "/api/v1/liaisons/contacts/agent", body))[0] == 422
    await assign(api)
    _, listing = await api.call("boss", "GET", "/api/v1/liaisons")
    (row,) = listing["liaisons"]
    assert row["enterprise"] == HUAXIANG and row["liaison"] == "agent" and "13900139000" not in str(row)
    assert (await api.call("admin", "DELETE", "/api/v1/liaisons", {"enterprise": HUAXIANG}))[0] == 200
    assert (await api.call("admin", "DELETE", "/api/v1/liaisons", {"enterprise": HUAXIANG}))[0] == 404


async def test_reports_count_orders_per_liaison(api: Api) -> None:
    await assign(api)
    _, a = await api.call("agent", "POST", "/api/v1/orders", ORDER)
    await api.call("agent", "POST", "/api/v1/orders", {**ORDER, "subject": "厂区门口积水"})
    await api.call("agent", "POST", "/api/v1/orders", {**ORDER, "enterprise": {**ORDER["enterprise"],
                                                       "name": "四川涪江食品有限公司", "credit_code": None}})
    await api.act("agent", a["number"], "dispatch", {"lead_unit": api.units["区住建局"]})
    status, report = await api.call("boss", "GET", "/api/v1/reports/liaisons?period=month&date=2026-11")
    assert status == 200, report
    assert report["liaisons"] == [{"liaison": "agent", "username": "agent", "enterprises": 1, "orders": 2,
                                   "open": 2, "closed": 0, "carded": 0}]
    status, december = await api.call("boss", "GET", "/api/v1/reports/liaisons?period=month&date=2026-12")
    assert december["liaisons"][0]["orders"] == 0
    assert (await api.call("agent", "GET", "/api/v1/reports/liaisons"))[0] == 403


async def test_the_liaison_page_and_the_reports_page_show_it_in_chinese(api: Api) -> None:
    await assign(api)
    _, order = await api.call("agent", "POST", "/api/v1/orders", ORDER)
    await settled(api)
    status, html = await page(api, "agent", "/liaison")
    assert status == 200 and "帮扶提醒" in html and HUAXIANG in html
    assert order["number"] in html and "新工单已受理" in html and "未读" in html
    status, html = await page(api, "agent", "/liaison/read", {})
    assert status == 200 and "已读" in html and "未读" not in html
    status, html = await page(api, "boss", "/liaison")
    assert status == 200 and "您目前没有被指定为任何企业的帮扶专员" in html and order["number"] not in html
    status, html = await page(api, "boss", "/reports?period=month&date=2026-11")
    assert status == 200 and "按帮扶专员" in html and 'data-liaison="agent"' in html
    assert "<th>帮扶企业数</th>" in html and "<td>agent</td><td>1</td><td>1</td><td>1</td><td>0</td><td>0</td>" in html


async def test_the_start_up_pass_tells_what_a_dead_node_did_not_and_nothing_twice(api: Api, wecom: FakeWeCom) -> None:
    app = api.client.server.app
    await assign(api)
    await api.call("admin", "PUT", "/api/v1/wecom/robots/liaison", {"key": LIAISON_ROBOT})
    since = api.clock.now
    _, order = await api.call("agent", "POST", "/api/v1/orders", ORDER)
    async with app[LIAISONS].engine.begin() as conn:  # the node died before its notices were stored
        await conn.execute(delete(liaison_notices))
        await conn.execute(delete(wecom_outbox))
    triggers = LiaisonTriggers(app[LIAISONS], app[SMS], app[WECOM_NOTIFIER], api.clock)
    for _ in range(2):
        await replay_recent(app[ORDERS].orders, since, triggers.on_event)
    assert [n["order_number"] for n in await notices(api)] == [order["number"]]
    (queued,) = await app[WECOM_NOTIFIER].outbox.list(order_number=order["number"])
    assert queued.target == "liaison" and queued.body["text"]["mentioned_list"] == ["liaison.li"]
    sms = [m for m in await app[SMS].outbox.list(order_number=order["number"]) if m.template == "liaison_notice"]
    assert len(sms) == 1


async def test_admins_set_robots_members_and_liaisons_on_their_page(api: Api) -> None:
    status, html = await page(api, "admin", "/admin/wecom")
    assert status == 200 and "单位群机器人" in html and "未设置" in html
    status, html = await page(api, "admin", "/admin/wecom/robot", {"unit": api.units["区住建局"], "key": LIAISON_ROBOT})
    assert status == 200 and "机器人密钥已保存" in html and "1111…5555" in html and LIAISON_ROBOT not in html
    status, html = await page(api, "admin", "/admin/wecom/robot", {"unit": "liaison", "key": "bad key"})
    assert status == 422 and "密钥格式不正确" in html
    status, html = await page(api, "admin", "/admin/wecom/sender", {"userid": "wujie", "enterprise": "没有这家"})
    assert status == 422 and "企业名录中没有这家企业" in html
    status, html = await page(api, "admin", "/admin/wecom/liaison",
                              {"enterprise": HUAXIANG, "user": "agent", "mobile": "13900139000", "wecom_userid": ""})
    assert status == 200 and "帮扶专员已指定" in html and "139****9000" in html and "13900139000" not in html
    assert (await page(api, "boss", "/admin/wecom"))[0] == 403
    assert (await page(api, "boss", "/admin/wecom/robot", {"unit": "liaison", "key": LIAISON_ROBOT}))[0] == 403
    _, listing = await api.call("admin", "GET", "/api/v1/wecom/robots")
    assert [r["target"] for r in listing["robots"]] == [f"unit:{api.units['区住建局']}"]


async def test_an_assignment_made_by_another_process_counts_here_within_the_cache_time(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from callcenter.liaison import repository

    app = api.client.server.app
    await api.call("agent", "POST", "/api/v1/orders", ORDER)  # this process now knows: no liaisons
    other = repository.LiaisonRepository(app[LIAISONS].engine)  # another worker, or the CLI
    await other.assign(HUAXIANG, "agent", "cli", api.clock.now)
    await api.call("agent", "POST", "/api/v1/orders", ORDER)
    assert await notices(api) == []
    later = repository.time.monotonic() + repository.COVERED_TTL + 1
    monkeypatch.setattr(repository.time, "monotonic", lambda: later)
    _, order = await api.call("agent", "POST", "/api/v1/orders", {**ORDER, "subject": "厂区门口积水"})
    # (Its flag-backs of the two earlier orders, at the same fixed test time, may tell of those too.)
    assert order["number"] in [n["order_number"] for n in await notices(api)]
