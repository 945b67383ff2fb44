"""Accounts (用户管理) for the administrator: who may sign in, in which role and unit."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web

from callcenter.auth.errors import AccountInvalid
from callcenter.auth.throttle import ACCOUNT, ADDRESS
from callcenter.db.errors import DuplicateUser, NoAdminLeft, UserNotFound
from callcenter.keys import AUTH, UNITS
from worksheet.model import Role

from .messages import user_message
from .paging import paged
from .render import render
from .session import web_actor

routes = web.RouteTableDef()
ROLES = (Role.AGENT, Role.UNIT_HANDLER, Role.SUPERVISOR, Role.ADMIN)
NEW_USER_FIELDS = ("username", "display_name", "role", "unit")


async def _page(request: web.Request, *, status: int = 200, flash: str = "", flash_kind: str = "ok",
                form: Mapping[str, str] | None = None) -> web.Response:
    auth = request.app[AUTH]
    users, pager = await paged(request, lambda limit, offset: auth.accounts.page(limit=limit, offset=offset),
                               path="/admin/users")
    units = await request.app[UNITS].list()
    locks = await auth.throttle.locks()
    return render(request, "users.html", status=status, users=users, units=units, roles=ROLES, pager=pager,
                  unit_names={u["code"]: u["name"] for u in units}, flash=flash, flash_kind=flash_kind,
                  form=form or {}, account_locks={b.key: b.locked_until for b in locks if b.kind == ACCOUNT},
                  address_locks=[b for b in locks if b.kind == ADDRESS])


def admin_only(request: web.Request) -> None:
    if web_actor(request).role != Role.ADMIN:
        raise web.HTTPForbidden(text="仅管理员可以管理用户")


@routes.get("/admin/users")
async def users(request: web.Request) -> web.Response:
    admin_only(request)
    return await _page(request)


@routes.post("/admin/users")
async def add(request: web.Request) -> web.Response:
    admin_only(request)
    form = await request.post()
    typed = {k: str(form.get(k, "")).strip() for k in NEW_USER_FIELDS}  # kept on an error (the password is not)
    try:
        await request.app[AUTH].add_user(typed["username"], str(form.get("password", "")), typed["role"],
                                         typed["unit"] or None, typed["display_name"], by=web_actor(request))
    except (AccountInvalid, DuplicateUser) as exc:
        return await _page(request, status=409 if isinstance(exc, DuplicateUser) else 422,
                           flash=f"未能添加用户：{user_message(exc)}", flash_kind="error", form=typed)
    return await _page(request, flash=f"已添加用户 {typed['username']}")


@routes.post("/admin/users/{username}/active")
async def set_active(request: web.Request) -> web.Response:
    admin_only(request)
    name, active = request.match_info["username"], (await request.post()).get("active") == "true"
    if name == web_actor(request).id and not active:
        return await _page(request, status=422, flash="不能停用自己的账号", flash_kind="error")
    try:
        await request.app[AUTH].accounts.edit(name, {"active": active}, web_actor(request))
    except UserNotFound:
        raise web.HTTPNotFound(text=f"没有用户 {name}") from None
    except NoAdminLeft as exc:
        return await _page(request, status=409, flash=user_message(exc), flash_kind="error")
    return await _page(request, flash=f"已{'启用' if active else '停用'}用户 {name}" + ("" if active else "（其登录已失效）"))


@routes.post("/admin/users/{username}/unlock")
async def unlock_user(request: web.Request) -> web.Response:
    admin_only(request)
    name = request.match_info["username"]
    if not await request.app[AUTH].unlock(ACCOUNT, name, web_actor(request)):
        return await _page(request, flash=f"用户 {name} 没有被锁定", flash_kind="warn")
    return await _page(request, flash=f"已解除用户 {name} 的登录锁定")


@routes.post("/admin/login-addresses/unlock")
async def unlock_address(request: web.Request) -> web.Response:
    admin_only(request)
    address = str((await request.post()).get("address", "")).strip()
    if not 0 < len(address) <= 64:
        return await _page(request, status=422, flash="请填写要解除限制的地址", flash_kind="error")
    if not await request.app[AUTH].unlock(ADDRESS, address, web_actor(request)):
        return await _page(request, flash=f"地址 {address} 没有登录限制", flash_kind="warn")
    return await _page(request, flash=f"已解除地址 {address} 的登录限制")
