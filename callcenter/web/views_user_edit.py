"""Editing one account (用户管理 → 编辑): name, role, unit, enabled; and setting its password.
The rules (and the audit) are the service's (callcenter/auth/accounts.py); this page keeps what
the administrator typed when a change is refused and says why in Chinese."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from callcenter.auth.errors import AccountInvalid
from callcenter.db.errors import NoAdminLeft, UserNotFound
from callcenter.db.users import User
from callcenter.keys import AUTH, UNITS

from .messages import user_message
from .render import render
from .session import web_actor
from .views_admin import ROLES, admin_only

routes = web.RouteTableDef()


async def _user(request: web.Request) -> User:
    try:
        return await request.app[AUTH].accounts.get(request.match_info["username"])
    except UserNotFound:
        raise web.HTTPNotFound(text="没有这个用户") from None


def _values(user: User) -> dict[str, str]:
    return {"display_name": user.display_name or "", "role": user.role, "unit": user.unit_code or "",
            "active": "true" if user.active else "false"}


async def _edit_page(request: web.Request, user: User, *, status: int = 200, flash: str = "", flash_kind: str = "ok",
                     form: Mapping[str, str] | None = None) -> web.Response:
    return render(request, "user_edit.html", status=status, user=user, form=form or _values(user), roles=ROLES,
                  units=await request.app[UNITS].list(), flash=flash, flash_kind=flash_kind)


@routes.get("/admin/users/{username}")
async def edit_page(request: web.Request) -> web.Response:
    admin_only(request)
    return await _edit_page(request, await _user(request))


@routes.post("/admin/users/{username}")
async def save(request: web.Request) -> web.Response:
    admin_only(request)
    user, form = await _user(request), await request.post()
    typed = {k: str(form.get(k, "")).strip() for k in ("display_name", "role", "unit", "active")}
    changes: dict[str, object] = {"display_name": typed["display_name"], "role": typed["role"], "unit": typed["unit"],
                                  "active": typed["active"] != "false"}
    if user.username == web_actor(request).id and not changes["active"]:
        return await _edit_page(request, user, status=422, flash="不能停用自己的账号", flash_kind="error", form=typed)
    try:
        saved = await request.app[AUTH].accounts.edit(user.username, changes, web_actor(request))
    except (AccountInvalid, NoAdminLeft) as exc:
        return await _edit_page(request, user, status=409 if isinstance(exc, NoAdminLeft) else 422,
                                flash=f"未能保存：{user_message(exc)}", flash_kind="error", form=typed)
    signed_out = saved.role != user.role or saved.unit_code != user.unit_code or (user.active and not saved.active)
    return await _edit_page(request, saved, flash="已保存" + ("（该用户需重新登录）" if signed_out else ""))


@routes.post("/admin/users/{username}/password")
async def set_password(request: web.Request) -> web.Response:
    admin_only(request)
    user, form = await _user(request), await request.post()
    password = str(form.get("password", ""))
    if password != str(form.get("password_again", "")):
        return await _edit_page(request, user, status=422, flash="两次输入的新密码不一致", flash_kind="error")
    try:
        await request.app[AUTH].accounts.set_password(user.username, password, web_actor(request))
    except AccountInvalid as exc:
        return await _edit_page(request, user, status=422, flash=f"未能重置密码：{user_message(exc)}", flash_kind="error")
    return await _edit_page(request, user, flash=f"已为 {user.username} 设置新密码，其原有登录已全部失效")
