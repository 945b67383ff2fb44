"""The enterprise portal over HTTP (a real server on 127.0.0.1), on SQLite and PostgreSQL:
submitting with an SMS code, tracking without enumeration, supplements, online rating that counts
once across phone, SMS and portal, and the abuse limits."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select

from callcenter.blobs.keys import BLOBS
from callcenter.db.portal_tables import portal_codes
from callcenter.keys import CALLBACKS, ORDERS, SMS, SMS_INBOUND
from callcenter.orders.services import SYSTEM
from callcenter.portal.keys import PORTAL
from callcenter.sms.webhooks import InboundSms
from tests.portal_helpers import PHONE, PNG, Portal, dispatched, form, start_portal, to_survey
from worksheet import commands as c
from worksheet.model import Channel, Rating, Status

_NUMBER = re.compile(r'id="order-number">([^<]+)<')
_NUMERALS = {ch: i for i, ch in enumerate("零一二三四五六七八九十")}


@pytest.fixture
async def portal(db_url: str) -> AsyncIterator[Portal]:
    async for p in start_portal(db_url):
        yield p


async def submitted(portal: Portal, **fields: str) -> str:
    status, _, location = await portal.submit(**fields)
    assert status == 303 and location.startswith("/portal/done?t="), (status, location)
    resp = await portal.client.get(location)
    found = _NUMBER.search(await resp.text())
    assert resp.status == 200 and found
    return found.group(1)


def invalid(text: str, name: str) -> bool:
    """The control is marked invalid and names its error, which sits right after it."""
    return bool(re.search(rf'id="f-{name}"[^>]*aria-invalid="true" aria-describedby="e-{name}"', text)) and \
        f'id="e-{name}"' in text


def solve(text: str) -> str:
    """The arithmetic question on a page, answered."""
    q = re.search(r"验证问题：(\S+?)等于多少", text)
    assert q, "no challenge on the page"

    def number(s: str) -> int:
        if "十" not in s:
            return _NUMERALS[s]
        tens, _, ones = s.partition("十")
        return (_NUMERALS[tens] if tens else 1) * 10 + (_NUMERALS[ones] if ones else 0)

    a, op, b = re.match(r"(.+?)([加减])(.+)", q.group(1)).groups()  # type: ignore[union-attr]
    return str(number(a) + number(b) if op == "加" else number(a) - number(b))


def challenge_token(text: str) -> str:
    found = re.search(r'name="challenge_token" value="([^"]+)"', text)
    assert found
    return found.group(1)


# --- submitting --------------------------------------------------------------------------

async def test_a_verified_request_becomes_a_web_draft_with_its_file_and_an_sms(portal: Portal) -> None:
    code = await portal.request_code()
    body = aiohttp.FormData()
    for key, value in {"_csrf": await portal.token(), **form(), "code": code, "action": "submit"}.items():
        body.add_field(key, value)
    body.add_field("files", PNG, filename="../../etc/现场照片.png", content_type="image/png")
    resp = await portal.client.post("/portal", data=body, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    number = _NUMBER.search(await (await portal.client.get(resp.headers["Location"])).text()).group(1)  # type: ignore[union-attr]

    order = await portal.app[ORDERS].get(number, SYSTEM)
    assert order.status == Status.DRAFT and order.channel == Channel.WEB
    assert (order.enterprise.name, order.enterprise.credit_code, order.enterprise.contact_person,
            order.enterprise.phone) == ("绵阳华翔物流有限公司", "915107039755TH2H1D", "吴杰", PHONE)
    assert order.category.value == "help" and "临时通道" in order.content
    [blob] = await portal.app[BLOBS].for_order(order)
    assert blob.name == "现场照片.png" and blob.content_type == "image/png"  # no client path survives
    queued = [m for m in await portal.app[SMS].outbox.list(order_number=number)]
    assert [m.template for m in queued] == ["portal_received"] and number in queued[0].body
    # The code itself is kept only as a hash, and never in the outbox.
    async with portal.app[ORDERS].orders.engine.connect() as conn:
        hashes = [r.code_hash for r in await conn.execute(select(portal_codes))]
    assert hashes and code not in "".join(hashes)
    assert not any(code in m.body for m in await portal.app[SMS].outbox.list())


async def test_every_wrong_field_is_named_next_to_it(portal: Portal) -> None:
    status, text, _ = await portal.post("/portal", {**form(credit_code="915107039755TH2H1X", content="太短",
                                                           phone="12345", category="nonsense"),
                                                    "code": "000000", "action": "submit"})
    assert status == 422
    for name in ("credit_code", "content", "phone", "category"):
        assert invalid(text, name), name
    assert "统一社会信用代码不正确" in text and "反映内容至少 10 个字" in text and "正确的11位手机号码" in text
    assert not invalid(text, "enterprise_name") and 'value="绵阳华翔物流有限公司"' in text  # kept as typed
    assert portal.sms.sent == []


async def test_a_wrong_code_is_refused_and_a_right_one_works_once(portal: Portal) -> None:
    code = await portal.request_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    status, text, _ = await portal.submit(code=wrong)
    assert status == 422 and invalid(text, "code") and "验证码不正确或已失效" in text
    number = await submitted(portal, code=code)
    status, text, _ = await portal.submit(code=code)  # the same code again
    assert status == 422 and invalid(text, "code")
    assert number


async def test_a_code_expires(portal: Portal) -> None:
    code = await portal.request_code()
    portal.clock.now += timedelta(minutes=11)
    status, text, _ = await portal.submit(code=code)
    assert status == 422 and invalid(text, "code")


async def test_forms_from_elsewhere_are_refused(portal: Portal) -> None:
    status, text, _ = await portal.post("/portal", {"action": "code", "phone": PHONE}, token="forged")
    assert status == 403 and "页面已过期" in text
    assert portal.sms.sent == []


async def test_a_multipart_form_to_a_plain_route_is_read_like_any_form(portal: Portal) -> None:
    body = aiohttp.FormData()
    for key, value in {"_csrf": await portal.token(), "action": "code", "number": "20261123-0001",
                       "phone": PHONE}.items():
        body.add_field(key, value)
    body.add_field("files", PNG, filename="a.png", content_type="image/png")  # ignored here
    resp = await portal.client.post("/portal/track", data=body)
    assert resp.status == 200 and "如工单编号与手机号码一致" in await resp.text()


async def test_names_are_suggested_from_the_directory(portal: Portal) -> None:
    resp = await portal.client.get("/portal/enterprises", params={"q": "绵阳"})
    names = (await resp.json())["names"]
    assert resp.status == 200 and 1 <= len(names) <= 5 and all("绵阳" in n for n in names)
    assert (await (await portal.client.get("/portal/enterprises", params={"q": "华翔物"})).json())["names"] == [
        "绵阳华翔物流有限公司"]
    assert (await (await portal.client.get("/portal/enterprises", params={"q": "绵"})).json())["names"] == []
    assert (await (await portal.client.get("/portal/enterprises", params={"q": "%_"})).json())["names"] == []
    statuses = [(await portal.client.get("/portal/enterprises", params={"q": "四川"})).status for _ in range(25)]
    assert 429 in statuses


# --- abuse limits ------------------------------------------------------------------------

async def test_codes_are_limited_per_number(portal: Portal) -> None:
    await portal.request_code()
    status, text, _ = await portal.post("/portal", {"action": "code", "phone": PHONE})
    assert status == 429 and invalid(text, "phone") and "秒后再重新获取" in text
    for _ in range(4):
        portal.clock.now += timedelta(minutes=2)
        await portal.request_code()
    portal.clock.now += timedelta(minutes=2)
    status, text, _ = await portal.post("/portal", {"action": "code", "phone": PHONE})
    assert status == 429 and "一小时后再试" in text
    assert len(portal.sms.codes()) == 5


async def test_repeated_failures_bring_a_challenge_that_works_once(portal: Portal) -> None:
    code = await portal.request_code()
    for _ in range(3):
        status, text, _ = await portal.submit(code="000000" if code != "000000" else "111111")
    assert "验证问题" in text
    status, text, _ = await portal.submit(code=code)  # no answer: refused before the code is tried
    assert status == 422 and "请正确回答验证问题" in text and invalid(text, "challenge")
    answer, token = solve(text), challenge_token(text)
    status, _, location = await portal.submit(code=code, challenge=answer, challenge_token=token)
    assert status == 303 and location.startswith("/portal/done")
    status, text, _ = await portal.submit(code=code, challenge=answer, challenge_token=token)  # replayed
    assert status == 422 and "请正确回答验证问题" in text


async def test_an_address_that_keeps_failing_is_stopped_for_the_hour(portal: Portal) -> None:
    guard = portal.app[PORTAL].guard
    for _ in range(guard.limits.block_after):
        await guard.failed("127.0.0.1")
    status, text, _ = await portal.post("/portal", {"action": "code", "phone": PHONE})
    assert status == 429 and "一小时后再试" in text
    assert (await portal.client.get("/healthz")).status == 200
    portal.clock.now += timedelta(hours=1, minutes=1)
    await portal.request_code()


# --- tracking ----------------------------------------------------------------------------

async def test_tracking_gives_one_answer_for_no_such_order_and_wrong_phone(portal: Portal) -> None:
    number = await submitted(portal)
    sent = len(portal.sms.codes()) + len(portal.sms.codes("13900000000"))
    answers = []
    for n, phone in ((number, "13900000000"), ("20991231-9999", PHONE)):
        portal.clock.now += timedelta(minutes=2)
        status, text, _ = await portal.post("/portal/track", {"action": "code", "number": n, "phone": phone})
        answers.append((status, "如工单编号与手机号码一致" in text))
        status, text, _ = await portal.post("/portal/track", {"action": "open", "number": n, "phone": phone,
                                                              "code": "123456"})
        answers.append((status, "工单编号、手机号码或验证码不正确" in text))
    assert answers == [(200, True), (422, True), (200, True), (422, True)]
    assert len(portal.sms.codes()) + len(portal.sms.codes("13900000000")) == sent  # neither got a code


async def test_tracking_shows_status_reply_and_takes_a_supplement(portal: Portal) -> None:
    number = await submitted(portal)
    assert (await portal.app[ORDERS].get(number, SYSTEM)).subject == "道路施工影响货物运输"  # as typed
    await dispatched(portal.app, number)
    portal.clock.now += timedelta(minutes=2)
    status, _, location = await portal.open_tracking(number)
    assert status == 303 and location == "/portal/order"
    text = await (await portal.client.get("/portal/order")).text()
    assert "已派单" in text and re.search(r'id="order-due">2026-1[12]-\d\d \d\d:\d\d 前', text)
    await to_survey(portal.app, number)
    text = await (await portal.client.get("/portal/order")).text()
    assert "待回访" in text and "已协调施工单位开放临时通道" in text
    assert "139****5678" in text and PHONE not in text  # masked where the enterprise did not type it
    status, _, location = await portal.post("/portal/order/supplement", {"text": "临时通道晚上仍然关闭。"})
    assert status == 303 and location == "/portal/order?done=supplement"
    order = await portal.app[ORDERS].get(number, SYSTEM)
    last = order.history[-1]
    assert (last.type, last.data["text"], last.data["source"]) == ("supplement", "临时通道晚上仍然关闭。", "portal")
    status, text, _ = await portal.post("/portal/order/supplement", {"text": "x"})
    assert status == 422 and invalid(text, "text")


async def test_the_order_page_needs_the_tracking_cookie(portal: Portal) -> None:
    resp = await portal.client.get("/portal/order", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/portal/track"
    portal.client.session.cookie_jar.update_cookies({"zt_portal_track": "20261123-0001|9999999999~00"})
    resp = await portal.client.get("/portal/order", allow_redirects=False)
    assert resp.status == 303


# --- rating ------------------------------------------------------------------------------

async def test_the_portal_rating_counts_once_and_the_other_surveys_are_cancelled(portal: Portal) -> None:
    number = await submitted(portal)
    order = await to_survey(portal.app, number)
    job = await portal.app[CALLBACKS].repo.for_cycle(number, order.cycle)
    assert job is not None and job.status == "scheduled"
    portal.clock.now += timedelta(minutes=2)
    await portal.open_tracking(number)
    status, _, location = await portal.post("/portal/order/rate", {"rating": "basically_satisfied",
                                                                   "comment": "处理及时"})
    assert status == 303 and location == "/portal/order?done=rate"
    rated = await portal.app[ORDERS].get(number, SYSTEM)
    assert rated.status == Status.CLOSED and [(r.rating, r.note) for r in rated.callbacks] == [
        (Rating.BASICALLY_SATISFIED, "处理及时")]
    assert (await portal.app[CALLBACKS].repo.for_cycle(number, order.cycle)).status == "cancelled"
    # A late SMS answer and a second portal answer change nothing.
    late = await portal.app[SMS_INBOUND].receive(InboundSms("SMLATE", "+86" + PHONE, "+8610012345", "3"))
    assert late.outcome == "stray_rating"
    status, text, _ = await portal.post("/portal/order/rate", {"rating": "unsatisfied"})
    text = await (await portal.client.get("/portal/order")).text()
    assert "基本满意：处理及时" in text and 'name="rating"' not in text
    assert len((await portal.app[ORDERS].get(number, SYSTEM)).callbacks) == 1


async def test_a_portal_answer_settles_a_waiting_sms_survey(portal: Portal) -> None:
    number = await submitted(portal)
    order = await to_survey(portal.app, number)
    callbacks = portal.app[CALLBACKS]
    job = await callbacks.repo.for_cycle(number, order.cycle)
    for attempt in range(callbacks.policy.max_attempts):  # every survey call is busy: the SMS survey goes out
        portal.clock.now = max(portal.clock.now, (await callbacks.repo.active_for(number)).due_at)
        claimed = await callbacks.repo.claim_due(portal.clock.now, 1)
        await callbacks.repo.record_dial(claimed[0], f"act-{attempt}", None, portal.clock.now)
        await callbacks.on_originate_result(f"act-{attempt}", 5)
    job = await callbacks.repo.for_cycle(number, order.cycle)
    assert job.status == "waiting_sms"
    portal.clock.now += timedelta(minutes=2)
    await portal.open_tracking(number)
    await portal.post("/portal/order/rate", {"rating": "satisfied"})
    assert (await callbacks.repo.for_cycle(number, order.cycle)).status == "done"
    late = await portal.app[SMS_INBOUND].receive(InboundSms("SMLATE2", "+86" + PHONE, "+8610012345", "3"))
    assert late.outcome == "stray_rating"
    assert [r.rating for r in (await portal.app[ORDERS].get(number, SYSTEM)).callbacks] == [Rating.SATISFIED]


async def test_old_limit_hits_and_codes_are_pruned(portal: Portal) -> None:
    await portal.request_code()
    store = portal.app[PORTAL].store
    assert await store.prune(portal.clock.now) == 0  # the code is still live, the hits are recent
    assert await store.prune(portal.clock.now + timedelta(days=2)) >= 3  # two hits and the code
    assert await store.hits_since("code-phone", PHONE, portal.clock.now - timedelta(days=1)) == []


async def test_unsatisfied_online_reopens_like_the_phone_answer(portal: Portal) -> None:
    number = await submitted(portal)
    await to_survey(portal.app, number)
    portal.clock.now += timedelta(minutes=2)
    await portal.open_tracking(number)
    status, text, _ = await portal.post("/portal/order/rate", {"rating": ""})
    assert status == 422 and "请选择满意、基本满意或不满意" in text
    await portal.post("/portal/order/rate", {"rating": "unsatisfied", "comment": "晚上仍然不通"})
    back = await portal.app[ORDERS].get(number, SYSTEM)
    assert back.status == Status.HANDLING and back.unsatisfied_count == 1


async def test_after_a_phone_answer_the_portal_cannot_rate_again(portal: Portal) -> None:
    number = await submitted(portal)
    await to_survey(portal.app, number)
    portal.clock.now += timedelta(minutes=2)
    await portal.open_tracking(number)
    await portal.app[ORDERS].act(number, c.RecordCallback(actor=SYSTEM, rating=Rating.SATISFIED))  # the IVR survey
    status, text, _ = await portal.post("/portal/order/rate", {"rating": "unsatisfied"})
    assert status == 409 and "不在回访评价阶段" in text
    assert len((await portal.app[ORDERS].get(number, SYSTEM)).callbacks) == 1


# --- the portal is public, the rest is not -----------------------------------------------

async def test_the_portal_exposes_no_staff_page(portal: Portal) -> None:
    await portal.request_code()
    for path in ("/agent", "/orders", "/supervisor"):
        resp = await portal.client.get(path, allow_redirects=False)
        assert resp.status == 303 and resp.headers["Location"].startswith("/login"), path
    text = await (await portal.client.get("/portal")).text()
    assert "/agent" not in text and "受理工作台" not in text


async def test_the_portal_is_off_unless_turned_on(db_url: str) -> None:
    async for off in start_portal(db_url, portal="off"):
        for path in ("/portal", "/portal/track", "/portal/enterprises?q=绵阳"):
            assert (await off.client.get(path)).status == 404, path
