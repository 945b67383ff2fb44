"""Pages over HTTP for render tests: the API test server plus a browser-like session cookie and CSRF.

Two more unit handlers, "wang" (区交通运输局) and "li" (区住建局), act where a page must show a
person's name: the shared fixture's "jtj" and "zjj" are also unit codes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from aiohttp import FormData, web

from callcenter.fax.header import without_machine_headers
from callcenter.intake.text_drafts import TextSource, draft_from_text
from callcenter.keys import AUTH, ORDERS, SPEECH
from callcenter.web.session import COOKIE, csrf_token
from tests.api_helpers import ORDER, PASSWORD, Api, start_api
from worksheet.model import Channel

# A fax's OCR text as read: the machine's header line, then what the sender wrote.
FAX = ("2026-11-23 08:55 FROM 0816 2345678 P.1\n"
       "绵阳华翔物流有限公司反映：华翔路道路施工，货车无法通行，请交通部门协调。\n联系人：王经理 电话：13800138000")


async def page_api(db_url: str) -> AsyncIterator[Api]:
    async for a in start_api(db_url):
        for name, unit in (("wang", "区交通运输局"), ("li", "区住建局")):
            await a.client.server.app[AUTH].add_user(name, PASSWORD, "unit_handler", a.units[unit])
            resp = await a.client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
            a.tokens[name] = (await resp.json())["token"]
        yield a


async def page(api: Api, who: str, path: str, form: dict[str, Any] | None = None, *,
               multipart: bool = False) -> tuple[int, str]:
    """GET (or POST ``form`` with the CSRF token) a page as ``who``, following redirects."""
    cookies = {COOKIE: api.tokens[who]}
    if form is None:
        resp = await api.client.get(path, cookies=cookies, allow_redirects=True)
    else:
        data = FormData({"_csrf": csrf_token(api.tokens[who]), **form}, default_to_multipart=multipart)
        resp = await api.client.post(path, cookies=cookies, allow_redirects=True, data=data)
    return resp.status, await resp.text()


async def new_order(api: Api, **changes: Any) -> str:
    status, body = await api.call("agent", "POST", "/api/v1/orders", {**ORDER, **changes})
    assert status == 201, body
    return str(body["number"])


async def fax_draft(app: web.Application, now: datetime, text: str = FAX) -> str:
    """A fax's draft the way the fax service makes it (header lines off, the extractor's fields in)."""
    order = await draft_from_text(app[ORDERS], app[SPEECH].extract, TextSource(
        channel=Channel.FAX, sender="08162345678", text=without_machine_headers(text), received_at=now,
        subject="传真来件（待确认）", label="传真识别文本", empty="（无）"))
    return order.number
