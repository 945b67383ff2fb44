"""Every page, for every role, with orders in every state, calls of every outcome, drafts and faxes:
the visible text is Chinese (no English words, no internal codes), and a refused form keeps what
the person typed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from callcenter.calls.record import CDR_DISPOSITIONS
from callcenter.fax.header import without_machine_headers
from callcenter.intake.text_drafts import TextSource, draft_from_text
from callcenter.keys import CALLS, ORDERS, SPEECH
from callcenter.knowledge.cli import DEMO_FILE as KB_DEMO
from callcenter.knowledge.cli import load_articles
from callcenter.knowledge.keys import KNOWLEDGE
from tests.api_helpers import Api
from tests.page_helpers import new_order, page, page_api
from worksheet.model import Channel

# Words a Chinese office reads as they are (file formats, the API's name, units of size).
ALLOWED = frozenset({"PDF", "CSV", "XLSX", "API", "SMS", "TIFF", "OFD", "Word", "Excel", "KB", "MB", "ID", "PNG",
                     "JPEG", "WAV", "ISO", "App"})  # "App": the knowledge base's answers name 天府通办App
# The people's own names are data, not UI text. (The shared fixture's "jtj" and "zjj" are also unit
# codes, so the pages are read as "wang", a handler of the same unit.)
USERNAMES = ("admin", "agent", "boss", "wang", "li")
ENGLISH = re.compile(r"[A-Za-z]{3,}")
HIDDEN = ("script", "style", "textarea")


class VisibleText(HTMLParser):
    """The text a person sees: element text outside script/style and form values, plus placeholders,
    titles and the labels of buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self.skip += 1
        for name, value in attrs:
            if name in ("placeholder", "title", "alt", "aria-label") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(parser.parts)


def leaks(html: str, codes: set[str], data: tuple[str, ...] = ()) -> list[str]:
    """English words and unit codes in the visible text; ``data`` are further words the people entered."""
    text = visible(html)
    for name in (*USERNAMES, *data):
        text = re.sub(rf"\b{name}\b", " ", text)
    words = [w for w in ENGLISH.findall(text) if w not in ALLOWED]
    return words + [code for code in codes if re.search(rf"(?<![A-Za-z]){code}(?![A-Za-z])", text)]


async def seed(api: Api) -> dict[str, str]:
    """Orders in each state a page can show, keyed by a name for the test's messages."""
    zjj, jtj = api.units["区住建局"], api.units["区交通运输局"]
    app = api.client.server.app
    made: dict[str, str] = {"registered": await new_order(api)}
    made["consultation"] = await new_order(api, category="consultation")
    made["dispatched"] = n = await new_order(api)
    await api.act("agent", n, "dispatch", {"lead_unit": zjj, "co_units": [jtj], "note": "请尽快核实"})
    made["returned"] = n = await new_order(api)
    await api.act("agent", n, "dispatch", {"lead_unit": zjj})
    await api.act("li", n, "return", {"reason": "道路施工属交通部门职责", "basis": "三定方案"})
    made["extension"] = n = await new_order(api)
    await api.act("agent", n, "dispatch", {"lead_unit": jtj})
    await api.act("wang", n, "accept")
    await api.act("wang", n, "request-extension", {"reason": "需协调多个部门"})
    made["replied"] = n = await new_order(api)
    await api.act("agent", n, "dispatch", {"lead_unit": jtj})
    await api.act("wang", n, "accept")
    await api.act("wang", n, "reply", {"content": "已协调，限高杆已拆除"})
    made["callback"] = n = await new_order(api)
    await api.act("agent", n, "dispatch", {"lead_unit": jtj})
    await api.act("wang", n, "accept")
    await api.act("wang", n, "reply", {"content": "已处理"})
    await api.act("boss", n, "check", {"passed": True})
    made["closed"] = n = await new_order(api)
    await api.act("agent", n, "dispatch", {"lead_unit": jtj})
    await api.act("wang", n, "accept")
    await api.act("wang", n, "reply", {"content": "已处理"})
    await api.act("boss", n, "check", {"passed": True})
    await api.act("agent", n, "callback-result", {"rating": "unsatisfied"})
    made["answered"] = n = await new_order(api, category="consultation")
    await api.act("agent", n, "answer-directly", {"answer": "高新技术企业认定每年受理一次，请关注区科技局通知。"})
    orders, extract = app[ORDERS], app[SPEECH].extract
    now = api.clock()
    for name, action, body in (("merged", "merge", {"into": made["registered"]}),
                               ("discarded", "discard", {"reason": "重复来电"})):
        draft = await draft_from_text(orders, None, TextSource(
            channel=Channel.SMS, sender="13800138000", text="华翔路施工", received_at=now, subject="短信留言（待确认）",
            label="短信原文", empty="（空短信）"))
        made[name] = draft.number
        await api.act("agent", draft.number, action, body)
    sms = await draft_from_text(orders, extract, TextSource(
        channel=Channel.SMS, sender="13800138000", text="我是绵阳华翔物流有限公司，华翔路施工货车出不去，联系人王经理",
        received_at=now, subject="短信留言（待确认）", label="短信原文", empty="（空短信）"))
    fax = await draft_from_text(orders, extract, TextSource(
        channel=Channel.FAX, sender="08162345678", text=without_machine_headers("2026-12-06 10:00 FROM 0816 2345678 P.1\n"
        "关于华翔路施工影响企业运输的情况反映\n绵阳华翔物流有限公司反映华翔路施工，货车无法通行。联系人：王经理"),
        received_at=now, subject="传真来件（待确认）", label="传真识别文本", empty="（无）"))
    made["sms-draft"], made["fax-draft"] = sms.number, fax.number
    records = [{"linkedid": f"17954353{i:02d}.0", "caller": "13800138000", "disposition": d,
                "started_at": (now - timedelta(minutes=i)).isoformat(), "ended_at": now.isoformat(),
                "order_number": made["registered"], "queue": {"agent": "Agent 1001", "wait_s": 3}}
               for i, d in enumerate(sorted(CDR_DISPOSITIONS))]
    await app[CALLS].repo.upsert(records, now)
    await load_articles(app[KNOWLEDGE], KB_DEMO)  # articles name their units by code
    draft_article = await app[KNOWLEDGE].create({"title": "草稿条目", "body": "内容", "unit": "jtj", "status": "draft"},
                                                 by="boss")
    made["article"] = str(draft_article.id)
    return made


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[Api]:
    async for a in page_api(db_url):
        yield a


ROLE_PAGES = {
    "agent": ("/agent", "/agent/drafts", "/agent/calls", "/orders", "/orders/new", "/knowledge", "/liaison"),
    "boss": ("/supervisor", "/supervisor/calendar", "/reports", "/orders", "/knowledge", "/knowledge/new"),
    "wang": ("/unit", "/orders"),
    "admin": ("/admin/users", "/agent", "/unit", "/supervisor", "/orders", "/admin/wecom"),
}


async def test_no_page_shows_english_or_internal_codes(api: Api) -> None:
    made = await seed(api)
    article = made.pop("article")
    codes = set(api.units.values())
    found: dict[str, list[str]] = {}
    for who, paths in ROLE_PAGES.items():
        for path in paths:
            status, html = await page(api, who, path)
            assert status == 200, (who, path, status)
            if words := leaks(html, codes, ("jtj", "zjj") if path == "/admin/users" else ()):
                found[f"{who} {path}"] = words
    for name, number in made.items():
        for who in ("agent", "boss", "admin"):
            status, html = await page(api, who, f"/orders/{number}")
            assert status == 200, (name, who)
            if words := leaks(html, codes):
                found[f"{who} {name}"] = words
    for number in (made["sms-draft"], made["fax-draft"]):
        status, html = await page(api, "agent", f"/agent/drafts/{number}")
        assert status == 200 and "确认登记" in html
        if words := leaks(html, codes):
            found[f"draft {number}"] = words
    for who, path in (("agent", "/knowledge?q=营业执照变更"), ("boss", "/knowledge?status=draft"),
                      ("boss", f"/knowledge/{article}"), ("boss", "/knowledge?q=营业执照变更")):
        status, html = await page(api, who, path)
        assert status == 200 and "责任单位" in html, (who, path)
        if words := leaks(html, codes):
            found[f"{who} {path}"] = words
    status, html = await page(api, "wang", f"/orders/{made['extension']}")
    assert status == 200
    if words := leaks(html, codes):
        found["jtj extension"] = words
    print("LEAKS", found)
    assert not found, found


def test_the_leak_check_can_fail() -> None:
    assert leaks("<p>填写有误（a unit handler must be bound）</p>", set()) == ["unit", "handler", "must", "bound"]
    assert leaks("<b>单位 jtj</b>", {"jtj"}) == ["jtj", "jtj"]  # an English word, and a unit code
    assert leaks("<p title='resolve'>办理类型</p><script>var x = 'ignored';</script>", set()) == ["resolve"]
    assert leaks("<p>导出 PDF、CSV</p>", set()) == []


async def test_a_refused_user_form_says_why_in_chinese_and_keeps_the_input(api: Api) -> None:
    status, html = await page(api, "admin", "/admin/users",
                              {"username": "wang.li", "password": "long-enough-pass", "role": "unit_handler", "unit": ""})
    assert status == 422
    assert "承办单位用户必须选择一个已有的单位" in html and not leaks(html, set(api.units.values()), ("jtj", "zjj"))
    assert re.search(r'name="username"[^>]*value="wang\.li"', html)
    assert re.search(r'<option value="unit_handler"\s+selected', html)
    status, html = await page(api, "admin", "/admin/users",
                              {"username": "wang.li", "password": "short", "role": "agent",
                               "unit": api.units["区住建局"]})
    assert status == 422 and "密码至少需要" in html
    assert re.search(rf'<option value="{api.units["区住建局"]}"\s+selected', html)


async def test_a_refused_new_order_keeps_the_input_and_explains_in_chinese(api: Api) -> None:
    form = {"channel": "fax", "category": "help", "urgency": "normal", "subject": "限高杆影响通行",
            "content": "华翔路口限高杆", "enterprise_name": "绵阳华翔物流有限公司", "enterprise_credit_code": "91350100M000100Y44",
            "enterprise_contact_person": "王经理", "enterprise_phone": "13800138000"}
    status, html = await page(api, "agent", "/orders/new", form, multipart=True)
    assert status == 422 and "填写有误：统一社会信用代码校验位有误" in html
    assert "限高杆影响通行" in html and "华翔路口限高杆" in html and "王经理" in html
    assert not leaks(html, set())


async def test_a_refused_order_action_explains_in_chinese(api: Api) -> None:
    n = await new_order(api)
    status, html = await page(api, "agent", f"/orders/{n}/act/dispatch", {"lead_unit": "nope", "version": "1"})
    assert status == 422 and "所选单位不存在" in html and not leaks(html, set(api.units.values()))
    n = await new_order(api, category="consultation")
    status, html = await page(api, "agent", f"/orders/{n}/act/answer-directly", {"answer": " "})
    assert status == 422 and "填写有误：请填写答复内容" in html


async def test_a_report_period_error_is_chinese(api: Api) -> None:
    # (季报 with "2026-12" is 2026-Q4 now: a date of another kind names the period containing it.)
    status, html = await page(api, "boss", "/reports?period=quarter&date=2026-99")
    assert status == 422 and "日期“2026-99”" in html and "季报" in html and not leaks(html, set())
    status, html = await page(api, "boss", "/reports?period=%E5%8D%81%E5%B9%B4")
    assert status == 422 and "统计周期“十年”无法识别" in html and not leaks(html, set())


def test_every_validation_wording_the_pages_can_meet_is_chinese() -> None:
    from callcenter.web.messages import GENERAL, user_message
    from worksheet.credit_code import normalize_credit_code
    from worksheet.errors import InvalidCreditCode, ValidationError

    assert user_message(ValidationError("a unit handler must be bound to an existing unit")) == \
        "填写有误：承办单位账号须选择一个已有的单位"
    assert user_message(ValidationError("basis is required")) == "填写有误：请填写政策依据"
    assert user_message(ValidationError("content is longer than 4000 characters")) == "填写有误：内容不能超过 4000 个字"
    assert user_message(ValidationError("something new and English")) == f"填写有误：{GENERAL}"
    assert user_message(ValidationError("frobnicate is required")) == "填写有误：请填写必填项"
    try:
        normalize_credit_code("91350100M000100Y4")
    except InvalidCreditCode as exc:
        assert user_message(exc) == "填写有误：统一社会信用代码应为 18 位，现为 17 位"
    else:
        raise AssertionError("a 17-character code was accepted")
    assert user_message(RuntimeError("boom")) == "操作未完成，请检查后重试"


def test_queue_members_and_handling_kinds_are_named_in_chinese() -> None:
    import json
    from pathlib import Path

    from callcenter.web.labels import HANDLING_KIND, agent

    assert agent("Agent 1001") == "坐席 1001" and agent("PJSIP/agent1002") == "坐席 1002" and agent(None) == "坐席"
    presets = Path(__file__).resolve().parent.parent / "worksheet" / "presets"
    for preset in presets.glob("*.json"):
        data = json.loads(preset.read_text(encoding="utf-8"))
        for kind in (*data["limits"], *data["handling_kinds"]):
            assert kind in HANDLING_KIND, (preset.name, kind)
