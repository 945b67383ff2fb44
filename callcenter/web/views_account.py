"""The signed-in person's own account: changing their password (修改密码), with the current one.
This browser stays signed in; every other session and token of theirs ends."""

from __future__ import annotations

from aiohttp import web

from callcenter.auth.errors import AccountInvalid, LoginRefused
from callcenter.auth.tokens import digest
from callcenter.keys import AUTH, TRUSTED_PROXIES

from .messages import user_message
from .render import render
from .session import WEB_TOKEN, web_actor

routes = web.RouteTableDef()


@routes.get("/account/password")
async def password_page(request: web.Request) -> web.Response:
    web_actor(request)
    return render(request, "password.html")


@routes.post("/account/password")
async def change_password(request: web.Request) -> web.Response:
    actor, form = web_actor(request), await request.post()
    current, new = str(form.get("current", "")), str(form.get("password", ""))
    error, status = "", 422
    if new != str(form.get("password_again", "")):
        error = "两次输入的新密码不一致"
    else:
        try:
            await request.app[AUTH].accounts.change_own(
                actor, current, new, token_digest=digest(request[WEB_TOKEN]),
                address=request.app[TRUSTED_PROXIES].client_address(request))
        except AccountInvalid as exc:
            error = user_message(exc)
        except LoginRefused as exc:
            error, status = f"尝试次数过多，请在 {exc.retry_after} 秒后重试", 429
    if error:
        return render(request, "password.html", status=status, flash=error, flash_kind="error")
    return render(request, "password.html", flash="密码已修改。其他设备上的登录已失效，本浏览器保持登录。", done=True)
