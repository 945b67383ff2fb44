"""Browser sessions: the API's bearer tokens, carried in an HttpOnly cookie, plus CSRF tokens.

A session is the same server-side token `POST /api/v1/auth/token` issues (revocable, with a
lifetime), so there is one session store. Every state-changing form carries a CSRF token derived
from the session token with HMAC: a page of another site can make the browser send the cookie,
but cannot read a page of ours to learn the token.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web

from callcenter.auth.services import Session
from callcenter.http.hygiene import is_streamed_form
from callcenter.keys import AUTH, SECURE_COOKIES, UNITS
from worksheet.model import Actor, Role

COOKIE = "zt_session"
CSRF_FIELD = "_csrf"
WEB_ACTOR = web.RequestKey("web_actor", Actor)
WEB_TOKEN = web.RequestKey("web_token", str)
WEB_SESSION = web.RequestKey("web_session", Session)
WEB_UNIT_NAME = web.RequestKey("web_unit_name", str)  # the signed-in unit handler's unit, by name
PUBLIC_PATHS = frozenset({"/login", "/favicon.ico"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"zhitong-csrf", hashlib.sha256).hexdigest()


def is_portal(path: str) -> bool:
    """The public enterprise portal (callcenter/portal): no login, its forms carry their own token."""
    return path == "/portal" or path.startswith("/portal/")


def is_page(path: str) -> bool:
    """The paths this middleware guards: pages, not the API, webhooks or static files."""
    return not path.startswith(("/api/", "/webhooks/", "/static/")) and path not in ("/healthz",)


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not is_page(request.path) or request.path in PUBLIC_PATHS or is_portal(request.path):
        return await handler(request)
    token = request.cookies.get(COOKIE, "")
    session = await request.app[AUTH].session_for_token(token) if token else None
    if session is None:
        if request.method == "GET":
            raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")
        raise web.HTTPUnauthorized(text="登录已过期，请重新登录")
    # A form with files is not buffered here: its handler checks the CSRF token as the body streams
    # in (callcenter/web/uploads.py), so a forged upload is refused before any file is stored.
    if request.method not in ("GET", "HEAD") and not is_streamed_form(request):
        form = await request.post()
        sent = form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token", "")
        # isascii first: compare_digest raises on non-ASCII text (a 500 for a forged token).
        if not isinstance(sent, str) or not sent.isascii() or not hmac.compare_digest(sent, csrf_token(token)):
            raise web.HTTPForbidden(text="表单已失效（CSRF 校验失败），请刷新页面后重试")
    request[WEB_ACTOR], request[WEB_TOKEN], request[WEB_SESSION] = session.actor, token, session
    if session.actor.unit:  # the header names the unit; its code is for programs
        unit = await request.app[UNITS].get(session.actor.unit)
        request[WEB_UNIT_NAME] = str(unit["name"]) if unit else ""
    return await handler(request)


def web_actor(request: web.Request, *roles: Role) -> Actor:
    """The signed-in person; 403 when the page is not for their role."""
    actor = request[WEB_ACTOR]
    if roles and actor.role not in roles and actor.role != Role.ADMIN:
        raise web.HTTPForbidden(text="您的角色无权访问此页面")
    return actor


def cookie_secure(request: web.Request) -> bool:
    """Secure cookies over TLS, including TLS ended by a proxy in front of us (request.secure is
    then False): whenever ZHITONG_PUBLIC_URL is https."""
    return request.secure or request.app[SECURE_COOKIES]


def set_session_cookie(response: web.StreamResponse, token: str, *, secure: bool, max_age: int) -> None:
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", secure=secure, max_age=max_age, path="/")


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/")
