"""Every page, as every role, at 1024 and 1366 px: full-page screenshots and layout that can fail.

The pages are enumerated from the app's router, so a new page is visited without anyone editing this
file (a new page with a path parameter fails until it gets a sample below). Each role visits each
page; the ones it may not open answer 403 and are skipped; every page must be rendered for at least
one role. On each rendered page:
- the page never scrolls sideways (a wide table scrolls inside its panel);
- buttons, badges and short table cells (numbers, phones, states, times, actions) stay on one line,
  and no button is hidden in a table's scroll area (the actions of a row are in view);
- the parts of a one-line form (button, result message, hint) do not touch or overlap.
- the page header (brand, menu, user box with 修改密码/退出) is a single line, nothing cut off.
Screenshots: test-artifacts/screenshots/layout-<role>-<page>-<width>.png.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Page

from callcenter.ami.codec import AmiDecoder
from callcenter.keys import AUTH, CALLS
from callcenter.knowledge.cli import DEMO_FILE as KB_DEMO
from callcenter.knowledge.cli import load_articles
from callcenter.knowledge.keys import KNOWLEDGE
from callcenter.orders.services import SYSTEM
from tests.api_helpers import PASSWORD
from tests.browser import ARTIFACTS, Site, screenshot, start_site
from worksheet import commands as c
from worksheet.intake import NewOrder
from worksheet.model import Actor, CardColor, Category, Channel, Enterprise, Rating, Role

WIDTHS = (1024, 1366)
ROLES = {"admin": "admin", "agent": "agent", "supervisor": "boss", "unit_handler": "zjj"}
AGENT, BOSS = Actor("agent", Role.AGENT), Actor("boss", Role.SUPERVISOR)
SWEEPER = Actor("supervision-sweep", Role.SYSTEM)
NOT_PAGES = {  # GET routes that are not pages a person looks at, and why
    "/": "redirects to the role's own start page",
    "/agent/drafts": "fragment: the draft table the agent page swaps in",
    "/agent/calls": "fragment: the call panel the agent page swaps in",
    "/unit/rows": "fragment: the inbox table the unit page swaps in",
    "/events": "server-sent event stream",
    "/healthz": "health check for load balancers",
    "/webhooks/wecom/callback": "WeCom's URL check (signed echo), not a page",
    "/reports/export.{ext}": "CSV/XLSX download",
    "/orders/{number}/attachments/{blob_id}": "file download",
}
# What each one-line action form may show next to its button: the result of the last action, a hint.
LAYOUT_CHECKS = r"""() => {
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth + 1) problems.push(`page is ${doc.scrollWidth}px wide in ${doc.clientWidth}px`);
  const visible = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const name = (el) => `${el.tagName.toLowerCase()}${el.className ? "." + String(el.className).trim().replace(/\s+/g, ".") : ""}` +
                       ` “${el.textContent.trim().replace(/\s+/g, " ").slice(0, 30)}”`;
  const rows = (el) => {  // lines of text the element's content is laid out in (boxes overlapping vertically = one)
    const range = document.createRange();
    range.selectNodeContents(el);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0).sort((p, q) => p.top - q.top);
    let count = 0, bottom = -Infinity;
    for (const r of rects) {
      if (r.top >= bottom - 2) { count++; bottom = r.bottom; } else { bottom = Math.max(bottom, r.bottom); }
    }
    return count;
  };
  const clipper = (el) => {  // the nearest ancestor that cuts off what sticks out sideways
    for (let a = el.parentElement; a; a = a.parentElement) {
      if (["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(a).overflowX)) return a;
    }
    return null;
  };
  for (const el of document.querySelectorAll("button, a.button, .badge")) {
    if (!visible(el)) continue;
    if (rows(el) > 1) problems.push(`wraps: ${name(el)}`);
    const box = el.getBoundingClientRect(), clip = clipper(el);
    const edge = clip ? clip.getBoundingClientRect() : {left: 0, right: doc.clientWidth};
    if (box.right > edge.right + 1 || box.left < edge.left - 1) problems.push(`cut off (scroll to see it): ${name(el)}`);
  }
  for (const td of document.querySelectorAll("table.list td:not(.subject):not(.wrap), table.list th")) {
    if (!visible(td) || td.textContent.trim() === "") continue;
    const blocky = [...td.children].filter(visible)
      .some((k) => ["block", "grid", "flex", "list-item", "table"].includes(getComputedStyle(k).display));
    if (!blocky && rows(td) > 1) problems.push(`cell wraps: ${name(td)}`);
  }
  const header = document.querySelector("header.top");
  const parts = header ? [...header.querySelectorAll(".brand, nav a, .who > *")].filter(visible) : [];
  for (const el of parts) {
    const box = el.getBoundingClientRect(), edge = header.getBoundingClientRect();
    if (rows(el) > 1) problems.push(`header item wraps: ${name(el)}`);
    if (box.right > edge.right + 1) problems.push(`header item cut off: ${name(el)}`);
  }
  const boxes = parts.map((el) => el.getBoundingClientRect());
  if (boxes.length && Math.max(...boxes.map((b) => b.top)) >= Math.min(...boxes.map((b) => b.bottom))) {
    problems.push(`header on more than one line: ${parts.map(name).join(" / ")}`);
  }
  for (const form of document.querySelectorAll(".inline-form")) {
    const parts = [...form.children].filter(visible).filter((k) => k.tagName !== "INPUT" || k.type !== "hidden");
    for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++) {
      const a = parts[i].getBoundingClientRect(), b = parts[j].getBoundingClientRect();
      const sameRow = a.top < b.bottom && b.top < a.bottom;
      const gap = Math.max(b.left - a.right, a.left - b.right);
      if (sameRow && gap < 10) problems.push(`too close (${Math.round(gap)}px): ${name(parts[i])} / ${name(parts[j])}`);
    }
  }
  return problems;
}"""


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    # The layout does not depend on the database: the tour (several minutes) runs once, on
    # SQLite; the other browser tests run on both databases.
    return f"sqlite+aiosqlite:///{tmp_path}/test.sqlite3"


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async for site in start_site(db_url):
        yield site


def routes(site: Site) -> set[str]:
    """Every GET route of the app that is not the API or static files."""
    found = set()
    for route in site.app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        # The public portal is for enterprises, not staff: tests/test_ui_portal.py opens it at 375 px and desktop.
        if route.method == "GET" and not path.startswith(("/api/", "/static", "/portal")):
            found.add(path)
    return found


async def seed(site: Site, shared_dir: Path) -> dict[str, list[str]]:
    """Drafts, orders in the states each role's pages show, calls, articles; paths per parameterised route."""
    zjj = Actor("zjj", Role.UNIT_HANDLER, site.units["区住建局"])
    await site.app[AUTH].add_user("admin", PASSWORD, "admin")

    async def new(subject: str, *, draft: bool = False, phone: str = "13800138000") -> str:
        spec = NewOrder(channel=Channel.SMS if draft else Channel.PHONE, category=Category.COMPLAINT,
                        enterprise=Enterprise(name="绵阳市涪城区华翔现代物流供应链管理有限公司", phone=phone,
                                              contact_person="王经理"),
                        subject=subject, content=f"{subject}。附近企业货物无法运出，绕行路口限高，请尽快协调处理。" * 3,
                        received_at=site.clock(), draft=draft)
        return (await site.orders.create(spec, SYSTEM if draft else AGENT)).number

    async def act(number: str, *commands: c.Command) -> str:
        for command in commands:
            await site.orders.act(number, command)
        return number

    drafts = [await new(f"语音留言草稿{i}：华翔路道路施工影响货物运输", draft=True, phone=f"1380013{i:04d}") for i in range(3)]
    dispatch = c.Dispatch(actor=AGENT, lead_unit=zjj.unit or "")
    registered = await new("企业反映用电报装进度缓慢")
    dispatched = await act(await new("道路施工影响货物运输"), dispatch)
    handling = await act(await new("厂区周边排水不畅"), dispatch, c.Accept(actor=zjj))
    replied = await act(await new("办证材料要求不一致"), dispatch, c.Accept(actor=zjj),
                        c.Reply(actor=zjj, content="已协调施工方开放临时通道，并告知企业绕行方案。"))
    closed = await act(await new("招聘补贴申领咨询"), dispatch, c.Accept(actor=zjj), c.Reply(actor=zjj, content="已答复"),
                       c.Check(actor=BOSS, passed=True), c.RecordCallback(actor=AGENT, rating=Rating.SATISFIED))
    returned = await act(await new("物业费纠纷"), dispatch, c.Return(actor=zjj, reason="非本单位职责", basis="三定规定"))
    extension = await act(await new("消防验收排期"), dispatch, c.Accept(actor=zjj),
                          c.RequestExtension(actor=zjj, reason="需要多部门会商"))
    carded = await act(await new("拖欠工程款"), dispatch, c.Accept(actor=zjj))
    cycle = (await site.orders.get(carded, SYSTEM)).cycle
    await act(carded, c.IssueCard(actor=SWEEPER, color=CardColor.YELLOW, clock="handling", cycle=cycle, note="黄灯督办"),
              c.IssueCard(actor=SWEEPER, color=CardColor.RED, clock="handling", cycle=cycle, note="红灯督办"))
    raw = (shared_dir / "fixtures" / "asterisk" / "ami" / "inbound-ivr-call.rx.bin").read_bytes()
    for msg in AmiDecoder().feed(raw):
        await site.app[CALLS].on_event(msg)
    await load_articles(site.app[KNOWLEDGE], KB_DEMO)
    article = (await site.app[KNOWLEDGE].repo.list(limit=1))[0][0]
    site.clock.now += timedelta(days=3)  # some deadlines near, some passed
    return {
        "/orders/{number}": [registered, dispatched, handling, replied, closed, returned, extension, carded, drafts[0]],
        "/agent/drafts/{number}": drafts[:1],
        "/knowledge/{ref}": ["new", str(article.id)],
        "/admin/users/{username}": ["agent"],  # the edit page
    }


def route_of(url: str, pages: set[str]) -> str:
    path = url.split("?")[0]
    if path in pages:
        return path
    return next(p for p in pages if "{" in p and path.startswith(p.split("{")[0]))


def slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "home"


async def check(page: Page, shot: str) -> list[str]:
    await screenshot(page, shot)
    return [f"{shot}: {p}" for p in await page.evaluate(LAYOUT_CHECKS)]


async def test_every_page_for_every_role_at_1024_and_1366(site: Site, shared_dir: Path) -> None:
    samples = await seed(site, shared_dir)
    pages = routes(site) - set(NOT_PAGES)
    unknown = {p for p in pages if "{" in p and p not in samples}
    assert unknown == set(), f"page routes without a sample to visit (add one to seed()): {unknown}"
    urls = sorted({u for p in pages for u in ([p.split("{")[0] + s for s in samples[p]] if "{" in p else [p])})
    urls += ["/supervisor?swept=3", "/reports?period=quarter&date=2026-12", "/orders?q=华翔"]
    rendered: dict[str, set[str]] = {}
    opened: set[str] = set()
    problems: list[str] = []
    anonymous = await site.browser.new_context(locale="zh-CN", viewport={"width": 1024, "height": 800})
    login = await anonymous.new_page()
    for width in WIDTHS:
        await login.set_viewport_size({"width": width, "height": 800})
        await login.goto(site.url("/login"))
        problems += await check(login, f"layout-anonymous-login-{width}")
    rendered["/login"] = {"anonymous"}
    for role, username in ROLES.items():
        page = await site.login(username)
        for width in WIDTHS:
            await page.set_viewport_size({"width": width, "height": 800})
            for url in urls:
                if url == "/login":
                    continue
                response = await page.goto(site.url(url))
                assert response is not None
                if response.status in (403, 404):  # not this role's (a unit sees only its own orders)
                    continue
                assert response.status == 200, (role, url, response.status)
                route = route_of(url, pages)
                rendered.setdefault(route, set()).add(role)
                opened.add(url)
                problems += await check(page, f"layout-{role}-{slug(url)}-{width}")
        await page.context.close()
    assert pages - set(rendered) == set(), "pages no role could open"
    assert set(urls) - opened == {"/login"}, "sample pages no role could open"
    assert rendered["/admin/users"] == {"admin"} and "unit_handler" in rendered["/unit"]
    assert rendered["/agent/drafts/{number}"] >= {"agent"} and rendered["/reports"] >= {"supervisor", "admin"}
    (ARTIFACTS / "layout-problems.txt").write_text("\n".join(problems) + "\n", encoding="utf-8")
    assert problems == []
