"""Signing in and out, and the landing page of each role."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from callcenter.auth.errors import LoginBusy, LoginRefused, LoginThrottled
from callcenter.auth.services import BadCredentials
from callcenter.keys import AUTH, TRUSTED_PROXIES
from worksheet.model import Role

from . import login_csrf
from .render import render
from .session import WEB_TOKEN, clear_session_cookie, cookie_secure, set_session_cookie, web_actor

routes = web.RouteTableDef()
HOME = {Role.AGENT: "/agent", Role.UNIT_HANDLER: "/unit", Role.SUPERVISOR: "/supervisor", Role.ADMIN: "/supervisor"}


def _safe_next(target: str) -> str:
    """Only a path on this site: "next=https://evil.example" must not become an open redirect."""
    parts = urlsplit(target)
    return target if target.startswith("/") and not target.startswith("//") and not parts.netloc else ""


async def _login_form(request: web.Request, *, status: int = 200, error: str = "", username: str = "",
                      target: str = "") -> web.Response:
    """The login page, its form carrying the CSRF token of the browser's login cookie."""
    nonce, fresh = login_csrf.nonce(request)
    token = login_csrf.sign(await request.app[AUTH].login_form_key(), nonce)
    response = render(request, "login.html", status=status, error=error, username=username, next=target,
                      login_csrf=token)
    if fresh:
        login_csrf.set_cookie(response, nonce, secure=cookie_secure(request))
    return response


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    return await _login_form(request, target=_safe_next(request.query.get("next", "")))


@routes.post("/login")
async def login(request: web.Request) -> web.Response:
    form = await request.post()
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "")))
    if not login_csrf.valid(request, form.get(login_csrf.FIELD), await request.app[AUTH].login_form_key()):
        # Not even counted as a failed login: a forged form must not lock the account either.
        return await _login_form(request, status=403, error="登录页面已过期，请重新输入用户名和密码。",
                                 username=username, target=target)
    address = request.app[TRUSTED_PROXIES].client_address(request)
    try:
        session = await request.app[AUTH].login(username, password, label="web", address=address)
    except BadCredentials:
        return await _login_form(request, status=401, error="用户名或密码错误", username=username, target=target)
    except LoginRefused as exc:
        response = await _login_form(request, status=503 if isinstance(exc, LoginBusy) else 429,
                                     error=_refusal(exc), username=username, target=target)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    response = web.HTTPSeeOther(target or HOME.get(session.actor.role, "/"))
    lifetime = int(request.app[AUTH].token_lifetime.total_seconds())
    set_session_cookie(response, session.token, secure=cookie_secure(request), max_age=lifetime)
    raise response


def _refusal(exc: LoginRefused) -> str:
    if isinstance(exc, LoginThrottled) and exc.locked:
        return (f"登录失败次数过多，已暂时锁定，请在 {-(-exc.retry_after // 60)} 分钟后重试；"
                "如需立即登录，请联系管理员解锁。")
    if isinstance(exc, LoginThrottled):
        return f"登录失败次数过多，请在 {exc.retry_after} 秒后重试。"
    return "正在登录的人数过多，请稍候几秒再试。"


@routes.post("/logout")
async def logout(request: web.Request) -> web.Response:
    await request.app[AUTH].revoke(request[WEB_TOKEN])
    response = web.HTTPSeeOther("/login")
    clear_session_cookie(response)
    raise response


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther(HOME.get(web_actor(request).role, "/login"))
