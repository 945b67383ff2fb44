"""Pages over HTTP for render tests: the API test server plus a browser-like session cookie and CSRF.

Two more unit handlers, "wang" (区交通运输局) and "li" (区住建局), act where a page must show a
person's name: the shared fixture's "jtj" and "zjj" are also unit codes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import FormData

from callcenter.keys import AUTH
from callcenter.web.session import COOKIE, csrf_token
from tests.api_helpers import ORDER, PASSWORD, Api, start_api


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
