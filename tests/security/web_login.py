"""Signing in through the login form, as a browser does (GET the form, POST it back with its
CSRF field and cookie)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import ClientResponse

from tests.api_helpers import PASSWORD

_CSRF_FIELD = re.compile(r'name="_csrf" value="([^"]*)"')


def csrf_of(html: str) -> str:
    found = _CSRF_FIELD.search(html)
    return found.group(1) if found else ""


async def post_login(client: Any, username: str, password: str = PASSWORD, **headers: str) -> ClientResponse:
    """The login form submitted by a browser that loaded it first (so it carries the form's cookie)."""
    form = await client.get("/login")
    token = csrf_of(await form.text())
    return await client.post("/login", data={"username": username, "password": password, "_csrf": token},
                              allow_redirects=False, headers=headers)


async def page_csrf(client: Any, path: str) -> str:
    """The CSRF token of a signed-in page's forms."""
    page = await client.get(path)
    assert page.status == 200, page.status
    return csrf_of(await page.text())
