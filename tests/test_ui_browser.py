"""The people's side in a real browser (Debian Chromium, headless, driven by Playwright)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from callcenter.ami.codec import AmiDecoder
from callcenter.blobs import sniff
from callcenter.keys import AUDIT, AUTH, CALLS, LIVE, POLICY
from callcenter.knowledge.cli import DEMO_FILE as KB_DEMO
from callcenter.knowledge.cli import load_articles
from callcenter.knowledge.keys import KNOWLEDGE
from callcenter.orders.services import SYSTEM
from tests.browser import Site, screenshot, start_site
from worksheet import commands as c
from worksheet.deadlines import handling_deadline
from worksheet.intake import NewOrder
from worksheet.model import Actor, Category, Channel, Enterprise, Rating, Role, Status

AGENT = Actor("agent", Role.AGENT)
XSS = "<script>window.__xss = 1</script><img src=x onerror=\"window.__xss = 2\">"


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async for site in start_site(db_url):
        yield site


def spec(*, draft: bool = False, content: str = "华翔路道路施工，附近企业货物无法运出。", subject: str = "道路施工影响货物运输") -> NewOrder:
    return NewOrder(channel=Channel.SMS if draft else Channel.PHONE, category=Category.HELP,
                    enterprise=Enterprise(name="绵阳华翔物流有限公司", phone="13800138000", contact_person="王经理"),
                    subject=subject, content=content, received_at=None, draft=draft)  # type: ignore[arg-type]


async def create(site: Site, **kw: object) -> str:
    order = spec(**kw)  # type: ignore[arg-type]
    order = NewOrder(**{**order.__dict__, "received_at": site.clock()})
    actor = SYSTEM if order.draft else AGENT
    return (await site.orders.create(order, actor)).number


async def dispatched_to(site: Site, unit_name: str) -> str:
    number = await create(site)
    await site.orders.act(number, c.Dispatch(actor=AGENT, lead_unit=site.units[unit_name]))
    return number


async def test_an_agent_confirms_a_draft_with_an_edit(site: Site) -> None:
    number = await create(site, draft=True)
    page = await site.login("agent")
    assert page.url.endswith("/agent")
    await page.click(f"tr[data-number='{number}'] a")
    assert [e["action"] for e in await site.app[AUDIT].list(subject=number)] == ["view-phone"]  # full number in the form
    await page.fill("input[name=subject]", "华翔路施工致货车无法通行")
    await page.select_option("select[name=category]", "complaint")
    await screenshot(page, "agent-draft")
    await page.click("form.draft-form button[type=submit]")
    await page.wait_for_url(f"**/orders/{number}?done=confirm")
    assert "已登记" in await page.inner_text("h1")
    await screenshot(page, "agent-confirmed")
    order = await site.orders.get(number, SYSTEM)
    assert order.status == Status.REGISTERED and order.subject == "华翔路施工致货车无法通行"
    assert order.category == Category.COMPLAINT and order.history[-1].actor == "agent"


async def test_a_unit_handler_returns_an_order_with_reason_and_basis(site: Site) -> None:
    number = await dispatched_to(site, "区交通运输局")
    other = await dispatched_to(site, "区住建局")
    page = await site.login("jtj")
    assert page.url.endswith("/unit")
    rows = await page.locator("tr[data-number]").evaluate_all("rows => rows.map(r => r.dataset.number)")
    assert rows == [number]  # only this unit's orders
    await page.click(f"tr[data-number='{number}'] a")
    await page.fill("form[data-action=return] textarea[name=reason]", "道路施工审批属区住建局职责")
    await page.fill("form[data-action=return] input[name=basis]", "区住建局三定规定第三条")
    await screenshot(page, "unit-return")
    await page.click("form[data-action=return] button[type=submit]")
    await page.wait_for_url(f"**/orders/{number}?done=return")
    order = await site.orders.get(number, SYSTEM)
    assert order.status == Status.RETURNED and order.return_reason == "道路施工审批属区住建局职责"
    response = await page.goto(site.url(f"/orders/{other}"))
    assert response is not None and response.status == 404  # another unit's order does not exist for them


async def test_a_supervisor_redispatches_a_returned_order(site: Site) -> None:
    number = await dispatched_to(site, "区交通运输局")
    await site.orders.act(number, c.Return(actor=Actor("jtj", Role.UNIT_HANDLER, site.units["区交通运输局"]),
                                           reason="非本单位职责", basis="三定规定"))
    page = await site.login("boss")
    assert page.url.endswith("/supervisor")
    await page.click(f"#returned tr[data-number='{number}'] a")
    await page.select_option("form[data-action=redispatch] select[name=lead_unit]", site.units["区住建局"])
    await screenshot(page, "supervisor-redispatch")
    await page.click("form[data-action=redispatch] button[type=submit]")
    await page.wait_for_url(f"**/orders/{number}?done=redispatch")
    order = await site.orders.get(number, SYSTEM)
    assert order.status == Status.DISPATCHED and order.lead_unit == site.units["区住建局"]


async def test_order_content_with_markup_is_shown_as_text(site: Site) -> None:
    number = await create(site, content=XSS, subject=XSS)
    page = await site.login("agent")
    await page.goto(site.url(f"/orders/{number}"))
    assert await page.inner_text(".content") == XSS
    assert await page.evaluate("window.__xss") is None
    assert await page.locator(".content script, .content img").count() == 0
    await screenshot(page, "xss-as-text")


async def test_a_wrong_password_and_a_forged_form_are_refused(site: Site) -> None:
    context = await site.browser.new_context()
    page = await context.new_page()
    await page.goto(site.url("/login"))
    await page.fill("input[name=username]", "agent")
    await page.fill("input[name=password]", "wrong-password")
    await page.click("button[type=submit]")
    assert "用户名或密码错误" in await page.inner_text(".flash")
    number = await create(site, draft=True)
    page = await site.login("agent")
    status = await page.evaluate("""async (number) => {
        const body = new URLSearchParams({reason: "伪造", _csrf: "not-the-token"});
        const r = await fetch(`/agent/drafts/${number}/discard`, {method: "POST", body});
        return r.status; }""", number)
    assert status == 403
    assert (await site.orders.get(number, SYSTEM)).status == Status.DRAFT


async def test_the_report_page_shows_the_numbers_in_the_database(site: Site) -> None:
    boss, unit = Actor("boss", Role.SUPERVISOR), Actor("jtj", Role.UNIT_HANDLER, site.units["区交通运输局"])
    closed, returned = await dispatched_to(site, "区交通运输局"), await dispatched_to(site, "区交通运输局")
    for command in (c.Accept(actor=unit), c.Reply(actor=unit, content="已协调解决"), c.Check(actor=boss, passed=True),
                    c.RecordCallback(actor=AGENT, rating=Rating.BASICALLY_SATISFIED)):
        await site.orders.act(closed, command)
    await site.orders.act(returned, c.Return(actor=unit, reason="非本单位职责", basis="三定规定"))
    await create(site, draft=True)  # drafts are not received orders
    async with site.orders.orders.engine.connect() as conn:  # the database's own answer, independent of the report code
        received = (await conn.execute(text(
            "SELECT count(*) FROM orders WHERE status NOT IN ('draft', 'merged')"))).scalar_one()
        events = dict((await conn.execute(text(
            "SELECT type, count(*) FROM order_events GROUP BY type"))).all())
    page = await site.login("boss")
    await page.goto(site.url("/reports?period=month&date=2026-11"))
    await screenshot(page, "reports")
    assert await page.inner_text("[data-rate=received] b") == str(received) == "2"
    assert await page.inner_text("[data-rate=return_rate] .muted") == f"{events['return']} / {events['dispatch']}"
    assert await page.inner_text("[data-rate=satisfaction_rate] b") == "100.0%"
    assert await page.inner_text("[data-rate=satisfaction_rate] .muted") == f"{events['callback-result']} / 1"
    assert "区交通运输局" in await page.inner_text("table.ranking")
    async with page.expect_download() as download:
        await page.click("text=导出 Excel")
    assert (await download.value).suggested_filename.endswith(".xlsx")


async def test_an_agent_answers_a_consultation_from_the_knowledge_base(site: Site) -> None:
    await load_articles(site.app[KNOWLEDGE], KB_DEMO)
    order = NewOrder(channel=Channel.PHONE, category=Category.CONSULTATION, received_at=site.clock(),
                     enterprise=Enterprise(name="绵阳华翔物流有限公司", phone="13800138000"),
                     subject="高新技术企业认定需要准备哪些材料", content="我们公司想申请高新技术企业认定，需要准备什么材料？")
    number = (await site.orders.create(order, AGENT)).number
    page = await site.login("agent")
    await page.goto(site.url(f"/orders/{number}"))
    suggestion = page.locator("form.kb-answer").first
    title = await suggestion.locator(".kb-suggestion b").inner_text()
    assert "高新技术企业" in title
    await screenshot(page, "agent-kb-answer")
    await suggestion.locator("button").click()
    await page.wait_for_url(f"**/orders/{number}?done=answer-directly")
    answered = await site.orders.get(number, SYSTEM)
    article = next(a for a in (await site.app[KNOWLEDGE].list())[0] if f"知识库：{a.title}" == title)
    assert answered.direct_answer == article.body
    assert answered.status in (Status.CLOSED, Status.CALLBACK_PENDING)


async def test_a_supervisor_writes_an_article_that_agents_then_find(site: Site) -> None:
    page = await site.login("boss")
    await page.goto(site.url("/knowledge/new"))
    await page.fill("input[name=title]", "夜间施工噪声扰民如何投诉")
    await page.fill("input[name=category]", "城市管理")
    await page.fill("input[name=keywords]", "噪音、夜间施工")
    await page.fill("textarea[name=body]", "夜间施工须取得夜间施工许可；无许可施工的，由区综合行政执法局依法查处。")
    await page.click("form.draft-form button[type=submit]")
    await page.wait_for_url("**/knowledge/*?saved=1")
    agent = await site.login("agent")
    await agent.goto(site.url("/knowledge?q=晚上工地施工太吵了"))
    assert "夜间施工噪声扰民如何投诉" in await agent.inner_text(".kb-hits")
    assert await agent.locator(".kb-hits mark").count() > 0
    response = await agent.goto(site.url("/knowledge/new"))
    assert response is not None and response.status == 403  # agents read, supervisors write


async def test_a_full_phone_number_is_shown_on_request_and_audited(site: Site) -> None:
    number = await create(site)
    page = await site.login("agent")
    await page.goto(site.url(f"/orders/{number}"))
    assert await page.inner_text(".phone") == "138****8000"
    await page.click("text=查看完整号码")
    assert await page.inner_text(".phone") == "13800138000"
    [entry] = await site.app[AUDIT].list(subject=number)
    assert (entry["actor"], entry["action"]) == ("agent", "reveal-phone")
    boss = await site.login("boss")
    await boss.goto(site.url(f"/orders/{number}"))
    assert "agent（受理员）查看完整号码" in await boss.inner_text(".audit")


async def test_a_unit_inbox_updates_itself_when_an_order_arrives(site: Site) -> None:
    page = await site.login("jtj")
    assert await page.locator("tr[data-number]").count() == 0
    number = await dispatched_to(site, "区交通运输局")
    await page.wait_for_selector(f"tr[data-number='{number}']", timeout=10_000)


async def test_a_supervisor_adds_a_day_off_and_deadlines_move(site: Site) -> None:
    number = await dispatched_to(site, "区交通运输局")
    policy = site.app[POLICY]
    before = handling_deadline(await site.orders.get(number, SYSTEM), policy)
    page = await site.login("boss")
    await page.goto(site.url("/supervisor/calendar"))
    await page.fill("input[name=day]", "2026-11-24")
    await page.select_option("select[name=kind]", "holiday")
    await page.fill("input[name=name]", "本地临时放假")
    await page.click("form.draft-form button[type=submit]")
    assert "休息日" in await page.inner_text("li[data-day='2026-11-24']")
    await screenshot(page, "supervisor-calendar")
    after = handling_deadline(await site.orders.get(number, SYSTEM), policy)
    assert before is not None and after is not None and after.due > before.due
    await page.click("tr[data-day='2026-11-24'] button")
    assert "工作日" in await page.inner_text("li[data-day='2026-11-24']")
    assert handling_deadline(await site.orders.get(number, SYSTEM), policy) == before


async def test_live_transcripts_reach_the_agent_and_not_a_unit(site: Site) -> None:
    agent, unit = await site.login("agent"), await site.login("jtj")
    await agent.wait_for_selector("body[data-live='on']", state="attached")
    await unit.wait_for_selector("body[data-live='on']", state="attached")
    site.app[LIVE].publish({"call": "c1", "kind": "partial", "text": "华翔路施工"})
    site.app[LIVE].publish({"call": "c1", "kind": "final", "text": "华翔路施工<b>货车</b>出不去"})
    await agent.wait_for_selector("#transcript p.final")
    assert await agent.inner_text("#transcript p.final") == "华翔路施工<b>货车</b>出不去"  # text, not markup
    assert await unit.locator("#transcript").count() == 0


async def test_an_agent_registers_a_call_and_finds_it_again(site: Site) -> None:
    page = await site.login("agent")
    await page.goto(site.url("/orders/new"))
    await page.select_option("select[name=category]", "complaint")
    await page.fill("input[name=enterprise_name]", "绵阳市涪城区好运来餐饮店")
    await page.fill("input[name=enterprise_phone]", "139-0813-0000")
    await page.fill("input[name=subject]", "燃气管道改造迟迟不验收")
    await page.fill("textarea[name=content]", "燃气管道改造完工两个月仍未验收，店铺无法营业。")
    await page.click("form.draft-form button[type=submit]")
    await page.wait_for_url("**/orders/*?done=create")
    number = page.url.split("/orders/")[1].split("?")[0]
    order = await site.orders.get(number, SYSTEM)
    assert order.status == Status.REGISTERED and order.enterprise.phone == "13908130000"
    await page.goto(site.url("/orders?q=燃气管道"))
    assert await page.locator(f"tr[data-number='{number}']").count() == 1
    await page.goto(site.url(f"/orders?q={number}"))
    assert page.url.endswith(f"/orders/{number}")
    await page.goto(site.url("/orders/new"))
    await page.fill("input[name=enterprise_name]", "某公司")
    await page.fill("input[name=enterprise_credit_code]", "91510700000000000X")  # a wrong check digit
    await page.fill("input[name=subject]", "测试")
    await page.fill("textarea[name=content]", "测试")
    await page.click("form.draft-form button[type=submit]")
    assert "填写有误" in await page.inner_text(".flash.error")
    assert await page.input_value("input[name=subject]") == "测试"  # nothing typed is lost


async def test_an_agent_registers_a_letter_with_its_scans_and_a_unit_opens_them(site: Site) -> None:
    page = await site.login("agent")
    await page.goto(site.url("/orders/new"))
    await page.select_option("select[name=channel]", "window")
    await page.fill("input[name=enterprise_name]", "绵阳华翔物流有限公司")
    await page.fill("input[name=subject]", "营业执照变更材料")
    await page.fill("textarea[name=content]", "来访提交变更材料，请核查。")
    await page.set_input_files("input[name=file]", [
        {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% scan\n"},
        {"name": "现场.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + bytes(32)}])
    await page.click("form.draft-form button[type=submit]")
    await page.wait_for_url("**/orders/*?done=create")
    number = page.url.split("/orders/")[1].split("?")[0]
    assert await page.inner_text(".attachments") == "营业执照.pdf 16 字节\n现场.png 40 字节"
    files = await site.blobs.for_order(await site.orders.get(number, SYSTEM))
    assert [(f.name, f.order_number, f.created_by) for f in files] == [
        ("营业执照.pdf", number, "agent"), ("现场.png", number, "agent")]
    await site.orders.act(number, c.Dispatch(actor=AGENT, lead_unit=site.units["区交通运输局"]))
    unit = await site.login("jtj")
    status = await unit.evaluate("async (u) => (await fetch(u)).status", f"/orders/{number}/attachments/{files[0].id}")
    other = await site.login("zjj")
    hidden = await other.evaluate("async (u) => (await fetch(u)).status", f"/orders/{number}/attachments/{files[0].id}")
    assert (status, hidden) == (200, 404)
    # A file of a kind the hotline does not take: the form comes back, in Chinese, with what was typed.
    await page.goto(site.url("/orders/new"))
    await page.fill("input[name=enterprise_name]", "某公司")
    await page.fill("input[name=subject]", "测试附件")
    await page.fill("textarea[name=content]", "测试")
    await page.set_input_files("input[name=file]", [
        {"name": "a.pdf", "mimeType": "application/pdf", "buffer": b"<html><script>alert(1)</script>"}])
    await page.click("form.draft-form button[type=submit]")
    assert "不支持的文件类型" in await page.inner_text(".flash.error")


async def test_a_forged_upload_from_another_site_stores_nothing(site: Site) -> None:
    page = await site.login("agent")
    status = await page.evaluate("""async () => {
        const form = new FormData();
        form.append("subject", "伪造");
        form.append("file", new Blob(["%PDF-1.4 forged"], {type: "application/pdf"}), "forged.pdf");
        return (await fetch("/orders/new", {method: "POST", body: form})).status; }""")
    assert status == 403
    async with site.blobs.repo.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM blobs"))).scalar_one() == 0


async def test_an_admin_adds_a_unit_handler_who_can_then_sign_in_until_disabled(site: Site) -> None:
    await site.app[AUTH].add_user("root", "correct-horse-battery", "admin")
    page = await site.login("root")
    await page.goto(site.url("/admin/users"))
    await page.fill("input[name=username]", "gxj")
    await page.fill("input[name=password]", "another-long-password")
    await page.select_option("select[name=role]", "unit_handler")
    await page.select_option("select[name=unit]", site.units["区工信局"])
    await page.click("form.draft-form button[type=submit]")
    assert "已添加用户 gxj" in await page.inner_text(".flash")
    handler = await site.browser.new_page()
    await handler.goto(site.url("/login"))
    await handler.fill("input[name=username]", "gxj")
    await handler.fill("input[name=password]", "another-long-password")
    await handler.click("button[type=submit]")
    await handler.wait_for_url("**/unit")
    await page.click("tr[data-user=gxj] button")
    assert "已停用" in await page.inner_text("tr[data-user=gxj]")
    response = await handler.goto(site.url("/unit"))
    assert response is not None and handler.url.startswith(site.url("/login"))


async def test_the_sweep_lights_a_yellow_card_on_the_board(site: Site) -> None:
    number = await dispatched_to(site, "区交通运输局")
    due = handling_deadline(await site.orders.get(number, SYSTEM), site.app[POLICY])
    assert due is not None
    site.clock.now = due.due + timedelta(hours=1)  # just missed: a yellow card, not yet a red one
    page = await site.login("boss")
    await page.click("text=立即巡查亮灯")
    await page.wait_for_url("**/supervisor?swept=*")
    assert await page.locator(f"#yellow tr[data-number='{number}']").count() == 1
    assert await page.locator(f"#overdue tr[data-number='{number}']").count() == 1
    assert "区交通运输局" in await page.inner_text("#month")
    await screenshot(page, "supervisor-board")


async def test_a_call_in_the_queue_pops_up_with_the_callers_orders(site: Site, shared_dir: Path) -> None:
    """The real Asterisk capture of a queued call, fed up to the moment the agent answers."""
    raw = (shared_dir / "fixtures" / "asterisk" / "ami" / "queue-answered.rx.bin").read_bytes()
    messages = list(AmiDecoder().feed(raw))
    answered = next(i for i, m in enumerate(messages) if m.name == "AgentConnect")
    caller = next(m.get("CallerIDNum") for m in messages if m.name == "QueueCallerJoin")
    known = NewOrder(channel=Channel.PHONE, category=Category.HELP, received_at=site.clock(),
                     enterprise=Enterprise(name="绵阳华翔物流有限公司", phone=caller), subject="上次反映的施工问题",
                     content="华翔路施工。")
    number = (await site.orders.create(known, AGENT)).number
    page = await site.login("agent")
    assert "当前没有通话" in await page.inner_text("#live")
    for message in messages[: answered + 1]:
        await site.app[CALLS].on_event(message)
    await page.wait_for_selector("#live li.call", timeout=5_000)  # pushed at once, not the 10 s poll
    pop = await page.inner_text("#live li.call")
    assert "+15*****0002" in pop and "绵阳华翔物流有限公司" in pop and number in pop and caller not in pop
    await screenshot(page, "agent-screen-pop")


async def test_an_agent_adds_a_callers_follow_up_and_records_a_manual_callback(site: Site) -> None:
    boss, unit = Actor("boss", Role.SUPERVISOR), Actor("jtj", Role.UNIT_HANDLER, site.units["区交通运输局"])
    number = await dispatched_to(site, "区交通运输局")
    for command in (c.Accept(actor=unit), c.Reply(actor=unit, content="已协调解决"), c.Check(actor=boss, passed=True)):
        await site.orders.act(number, command)
    page = await site.login("agent")
    await page.goto(site.url(f"/orders/{number}"))
    await page.fill("form[data-action=supplement] textarea[name=text]", "来电人补充：限高杆已拆除")
    await page.click("form[data-action=supplement] button[type=submit]")
    await page.wait_for_url(f"**/orders/{number}?done=supplement")
    assert "来电人补充：限高杆已拆除" in await page.inner_text(".history")
    await page.check("form[data-action=callback-result] input[value=satisfied]")
    await page.click("form[data-action=callback-result] button[type=submit]")
    await page.wait_for_url(f"**/orders/{number}?done=callback-result")
    assert "已办结" in await page.inner_text("h1")
    order = await site.orders.get(number, SYSTEM)
    assert order.status == Status.CLOSED and order.callbacks[-1].rating == Rating.SATISFIED


async def test_a_fax_drafts_pages_open_from_the_draft(site: Site) -> None:
    pdf = await site.blobs.store(b"%PDF-1.4\n% a fax\n", kind="fax", media=sniff.PDF, name="传真.pdf")
    tif = await site.blobs.store(b"II*\x00 a fax page", kind="fax", media=sniff.TIFF, name="传真.tif")
    (site.blobs.files.roots["store"] / tif.location).unlink()  # written, then lost from the disk
    draft = NewOrder(channel=Channel.FAX, category=Category.HELP, received_at=site.clock(), draft=True,
                     enterprise=Enterprise(name="传真 020****6666", phone="02088886666"), subject="传真来件（待确认）",
                     content="华翔路施工", attachments=(pdf.id, tif.id))
    number = (await site.orders.create(draft, SYSTEM)).number
    page = await site.login("agent")
    await page.goto(site.url(f"/agent/drafts/{number}"))
    assert await page.inner_text(".attachments") == f"传真原件（PDF） {pdf.size} 字节\n传真原件（TIFF） {tif.size} 字节"
    kinds = await page.evaluate("""async ([n, ids]) => Promise.all(ids.map(async i => {
        const r = await fetch(`/orders/${n}/attachments/${i}`); return [r.status, r.headers.get("content-type")]; }))""",
                                [number, [pdf.id, tif.id, "0", "x" * 24]])
    assert kinds == [[200, "application/pdf"], [404, "text/html; charset=utf-8"], [404, "text/html; charset=utf-8"],
                     [404, "text/html; charset=utf-8"]]


async def test_search_results_are_paged(site: Site) -> None:
    for i in range(53):
        await create(site, subject=f"园区道路积水第{i}次反映")
    page = await site.login("agent")
    await page.goto(site.url("/orders?q=园区道路积水"))
    assert await page.locator("tr[data-number]").count() == 50 and "第 1 / 2 页" in await page.inner_text(".pager")
    await page.click("text=下一页")
    assert await page.locator("tr[data-number]").count() == 3 and "第 2 / 2 页" in await page.inner_text(".pager")
