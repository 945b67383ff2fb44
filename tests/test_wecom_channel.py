"""The WeCom channel end to end against a local fake WeCom, on SQLite and PostgreSQL:

- inbound: the console's URL check, encrypted text/image messages from the 直通 group → drafts on
  Channel.WECHAT (the sender mapped to its directory enterprise when known), each message once;
- hostile callbacks (bad signature, bad padding, another CorpID, stale, oversized, an entity bomb)
  → clear 4xx with stable error ids, and the service keeps working;
- outbound: a unit's group robot hears of dispatches, returns and cards through the outbox, with
  retries; the webhook key is a secret shown only masked.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from api_helpers import ORDER, Api, start_api
from fake_wecom import AES_KEY, CORP_ID, TOKEN, FakeWeCom, api_with_directory, seal, text_message
from page_helpers import page

from callcenter.keys import SUPERVISION
from callcenter.wecom.http import CALLBACK_PATH
from callcenter.wecom.keys import WECOM_INBOUND, WECOM_NOTIFIER

ROBOT_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
HUAXIANG = "绵阳华翔物流有限公司"


@pytest.fixture
async def wecom() -> AsyncIterator[FakeWeCom]:
    async with FakeWeCom(robots={ROBOT_KEY}) as fake:
        yield fake


@pytest.fixture
async def api(db_url: str, wecom: FakeWeCom) -> AsyncIterator[Api]:
    async for value in api_with_directory(db_url, wecom_token=TOKEN, wecom_aes_key=AES_KEY, wecom_corp_id=CORP_ID,
                                 wecom_api_base=wecom.base_url):
        yield value


def url(api: Api) -> str:
    return str(api.client.make_url(CALLBACK_PATH))


def now_ts(api: Api) -> int:
    return int(api.clock.now.timestamp())


async def drafts(api: Api) -> list[dict]:  # type: ignore[type-arg]
    status, data = await api.call("agent", "GET", "/api/v1/orders?channel=wechat&status=draft")
    assert status == 200, data
    return [(await api.call("agent", "GET", f"/api/v1/orders/{o['number']}"))[1] for o in data["items"]]


async def test_the_url_check_echoes_the_decrypted_echostr(api: Api, wecom: FakeWeCom) -> None:
    assert await wecom.verify_url(url(api), b"8213587651098231", timestamp=now_ts(api)) == (200, "8213587651098231")


async def test_a_text_message_from_a_mapped_member_drafts_for_its_enterprise_once(api: Api, wecom: FakeWeCom) -> None:
    status, body = await api.call("admin", "PUT", "/api/v1/wecom/senders/wujie", {"enterprise": HUAXIANG})
    assert status == 200, body
    message = text_message("wujie", "我们公司门口华翔路施工，货车进不来，请帮忙协调。", "7001")
    resp = await wecom.callback(url(api), message, timestamp=now_ts(api))
    assert resp.status == 200
    (draft,) = await drafts(api)
    assert draft["channel"] == "wechat" and draft["enterprise"]["name"] == HUAXIANG
    assert "华翔路施工" in draft["content"]
    # WeCom repeats a callback it thinks we missed; an attacker replays one: still one draft.
    for nonce in ("n1", "n2"):
        assert (await wecom.callback(url(api), message, timestamp=now_ts(api), nonce=nonce)).status == 200
    assert len(await drafts(api)) == 1
    status, html = await page(api, "agent", f"/orders/{draft['number']}")
    assert status == 200 and "<dt>渠道</dt><dd>微信</dd>" in html and "华翔路施工" in html


async def test_a_message_whose_drafting_died_is_taken_by_wecoms_next_attempt(api: Api, wecom: FakeWeCom) -> None:
    inbound = api.client.server.app[WECOM_INBOUND]
    assert await inbound._claim("msg:7301", "wujie", "text")  # a node claimed it, then died
    message = text_message("wujie", "断电了", "7301")
    assert (await wecom.callback(url(api), message, timestamp=now_ts(api))).status == 200
    assert await drafts(api) == []  # a claim this fresh may still be drafting elsewhere
    api.clock.now += timedelta(minutes=3)
    assert (await wecom.callback(url(api), message, timestamp=now_ts(api))).status == 200
    assert len(await drafts(api)) == 1


async def test_an_unknown_member_and_an_image_still_draft_with_a_note(api: Api, wecom: FakeWeCom) -> None:
    await wecom.callback(url(api), text_message("stranger01", "园区停电了", "7101"), timestamp=now_ts(api))
    image = text_message("stranger01", "", "7102", kind="image",
                         extra="<PicUrl><![CDATA[http://127.0.0.1:9/p.jpg]]></PicUrl><MediaId><![CDATA[media-1]]></MediaId>")
    await wecom.callback(url(api), image, timestamp=now_ts(api))
    found = {d["content"]: d for d in await drafts(api)}
    assert len(found) == 2
    assert all(d["enterprise"]["name"] == "企业微信用户 stranger01" for d in found.values())
    (note,) = [c for c in found if c.startswith("［图片消息］")]
    assert "media-1" in note and "请在企业微信中查看" in note


async def test_events_without_a_matter_draft_nothing(api: Api, wecom: FakeWeCom) -> None:
    event = text_message("wujie", "", "", kind="event", extra="<Event><![CDATA[enter_agent]]></Event>")
    assert (await wecom.callback(url(api), event, timestamp=now_ts(api))).status == 200
    assert await drafts(api) == []


HOSTILE = [  # (case, status, error_id)
    ("bad-signature", 403, "wecom-bad-signature"),
    ("stale", 403, "wecom-stale"),
    ("wrong-corp", 400, "wecom-wrong-receiver"),
    ("bad-padding", 400, "wecom-bad-padding"),
    ("bad-base64", 400, "wecom-bad-encoding"),
    ("entity-bomb", 400, "wecom-bad-xml"),
    ("inner-bomb", 400, "wecom-bad-xml"),
    ("oversized", 400, "body-too-large"),
    ("no-encrypt", 400, "wecom-bad-request"),
]


def hostile(case: str, good: bytes, ts: int) -> dict[str, object]:
    kw: dict[str, object] = {"timestamp": ts}
    if case == "bad-signature":
        kw["token"] = "not-the-token"
    elif case == "stale":
        kw["timestamp"] = ts - 3600
    elif case == "wrong-corp":
        kw["encrypt"] = seal(good, corp_id="ww-someone-else")
    elif case == "bad-padding":
        kw["encrypt"] = seal(good, bad_padding=True)
    elif case == "bad-base64":
        kw["encrypt"] = "@@@@"
    elif case == "entity-bomb":
        kw["body"] = (b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                      b"<xml><Encrypt>&b;</Encrypt></xml>")
    elif case == "inner-bomb":
        kw["encrypt"] = seal(b'<!DOCTYPE x [<!ENTITY a "a">]><xml><Content>&a;</Content></xml>')
    elif case == "oversized":
        kw["body"] = b"<xml><Encrypt>" + b"A" * (128 << 10) + b"</Encrypt></xml>"
    elif case == "no-encrypt":
        kw["body"] = b"<xml><ToUserName>x</ToUserName></xml>"
    return kw


async def test_hostile_callbacks_get_clear_4xx_and_the_service_keeps_working(api: Api, wecom: FakeWeCom) -> None:
    ts = now_ts(api)
    good = text_message("wujie", "正常留言", "7201")
    answers = []
    for case, _, _ in HOSTILE:
        resp = await wecom.callback(url(api), good, **hostile(case, good, ts))  # type: ignore[arg-type]
        problem = await resp.json(content_type=None)
        answers.append((case, resp.status, problem["error_id"]))
    assert answers == HOSTILE
    assert await drafts(api) == []
    # The service is fine: the next honest message is drafted.
    assert (await wecom.callback(url(api), good, timestamp=ts)).status == 200
    assert len(await drafts(api)) == 1


async def test_the_callback_is_not_found_until_configured(db_url: str, wecom: FakeWeCom) -> None:
    async for api in start_api(db_url):
        resp = await wecom.callback(url(api), text_message("wujie", "x", "1"), timestamp=now_ts(api))
        assert resp.status == 404


async def _robot_round(api: Api) -> dict[str, int]:
    return await api.client.server.app[WECOM_NOTIFIER].run_due()


async def _sent_until(api: Api, wecom: FakeWeCom, count: int) -> list[str]:
    """Rounds of the sender (the background loop may have taken a message: it is sent either way)."""
    for _ in range(50):
        if len(wecom.messages) >= count:
            break
        await _robot_round(api)
        await asyncio.sleep(0.02)
    return [body["markdown"]["content"] for _, body in wecom.messages]


async def test_a_units_group_hears_of_dispatch_return_and_cards(api: Api, wecom: FakeWeCom) -> None:
    zjj = api.units["区住建局"]
    status, body = await api.call("admin", "PUT", f"/api/v1/wecom/robots/unit:{zjj}", {"key": ROBOT_KEY})
    assert status == 200, body
    status, listing = await api.call("admin", "GET", "/api/v1/wecom/robots")
    assert ROBOT_KEY not in str(listing) and listing["robots"][0]["key"] == "693a…5aaa"
    status, order = await api.call("agent", "POST", "/api/v1/orders", ORDER)
    number = order["number"]
    await api.act("agent", number, "dispatch", {"lead_unit": zjj})
    texts = await _sent_until(api, wecom, 1)
    assert "新派单" in texts[0] and number in texts[0] and ORDER["subject"] in texts[0]
    assert "13800138000" not in str(wecom.messages) and "8000" not in texts[0]  # no phone in a group
    await api.act("zjj", number, "return", {"reason": "不属于本单位职责", "basis": "三定方案"})
    texts = await _sent_until(api, wecom, 2)
    assert "工单已退回" in texts[1] and "不属于本单位职责" in texts[1]
    await api.act("agent", number, "redispatch", {"lead_unit": zjj})
    texts = await _sent_until(api, wecom, 3)
    assert "新派单" in texts[2]
    # Overdue: the sweep's yellow card reaches the unit's group too.
    api.clock.now += timedelta(days=30)
    await api.client.server.app[SUPERVISION].run()
    texts = await _sent_until(api, wecom, 4)
    assert "黄灯督办" in texts[3] and number in texts[3] and len(texts) == 4
    assert {key for key, _ in wecom.messages} == {ROBOT_KEY}


async def test_a_busy_or_down_wecom_is_retried_and_a_unit_without_robot_gets_nothing(api: Api, wecom: FakeWeCom) -> None:
    zjj, jtj = api.units["区住建局"], api.units["区交通运输局"]
    await api.call("admin", "PUT", f"/api/v1/wecom/robots/unit:{zjj}", {"key": ROBOT_KEY})
    wecom.busy_next(1)
    wecom.down_next(1)
    _, order = await api.call("agent", "POST", "/api/v1/orders", ORDER)
    await api.act("agent", order["number"], "dispatch", {"lead_unit": zjj, "co_units": [jtj]})
    for _ in range(3):  # the two failures wait 1 and 5 minutes before their retries
        await _robot_round(api)
        api.clock.now += timedelta(minutes=6)
    texts = await _sent_until(api, wecom, 1)
    assert len(texts) == 1 and wecom.requests == 3
    _, outbox = await api.call("boss", "GET", f"/api/v1/wecom/outbox?order_number={order['number']}")
    (row,) = outbox["messages"]  # the co-unit has no robot: nothing queued for it
    assert row["status"] == "sent" and row["attempts"] == 3 and row["target"] == f"unit:{zjj}"


async def test_a_key_wecom_refuses_fails_for_good_and_admin_only_may_set_keys(api: Api, wecom: FakeWeCom) -> None:
    zjj = api.units["区住建局"]
    for who, key, status in (("agent", ROBOT_KEY, 403), ("admin", "bad key/../x", 422), ("admin", "short", 422)):
        assert (await api.call(who, "PUT", f"/api/v1/wecom/robots/unit:{zjj}", {"key": key}))[0] == status
    assert (await api.call("admin", "PUT", "/api/v1/wecom/robots/unit:nope", {"key": ROBOT_KEY}))[0] == 422
    await api.call("admin", "PUT", f"/api/v1/wecom/robots/unit:{zjj}", {"key": "00000000-dead-key0-0000-000000000000"})
    _, order = await api.call("agent", "POST", "/api/v1/orders", ORDER)
    await api.act("agent", order["number"], "dispatch", {"lead_unit": zjj})
    for _ in range(20):
        _, outbox = await api.call("boss", "GET", "/api/v1/wecom/outbox")
        if outbox["messages"] and outbox["messages"][0]["status"] == "failed":
            break
        await _robot_round(api)
        await asyncio.sleep(0.02)
    (row,) = outbox["messages"]
    assert row["status"] == "failed" and "93000" in row["error_detail"] and wecom.messages == []
