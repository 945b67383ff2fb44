"""The admins' page for WeCom and liaison officers (企业微信与帮扶专员): unit groups' robot keys
(shown masked), which enterprise a WeCom member speaks for, and each enterprise's liaison."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from callcenter.keys import AUDIT, CLOCK, UNITS
from callcenter.web.messages import user_message
from callcenter.web.render import render
from callcenter.web.session import web_actor
from callcenter.wecom.keys import WECOM_NOTIFIER, WECOM_SENDERS
from callcenter.wecom.robots import LIAISON_TARGET, unit_target
from worksheet.errors import ValidationError
from worksheet.model import Actor, Role

from .keys import LIAISONS

routes = web.RouteTableDef()
_CHINESE = re.compile("[\u4e00-\u9fff]")
PATH = "/admin/wecom"


async def _page(request: web.Request, *, status: int = 200, **flash: Any) -> web.Response:
    app = request.app
    return render(request, "wecom_admin.html", status=status, units=await app[UNITS].list(),
                  robots={r["target"]: r for r in await app[WECOM_NOTIFIER].keys.masked()},
                  liaison_target=LIAISON_TARGET, senders=await app[WECOM_SENDERS].all(),
                  liaisons=await app[LIAISONS].assignments(), **flash)


@routes.get(PATH)
async def page(request: web.Request) -> web.Response:
    web_actor(request, Role.ADMIN)
    return await _page(request)


async def _save(request: web.Request, action: Callable[[Actor, dict[str, str]], Awaitable[str]]) -> web.Response:
    actor = web_actor(request, Role.ADMIN)
    form = {k: str(v).strip() for k, v in (await request.post()).items() if k != "_csrf"}
    try:
        done = await action(actor, form)
    except ValidationError as exc:
        # Our own checks word their refusals in Chinese; anything else gets the general message.
        said = str(exc) if _CHINESE.search(str(exc)) else user_message(exc)
        return await _page(request, status=422, flash=said, flash_kind="error")
    return await _page(request, flash=done)


@routes.post(f"{PATH}/robot")
async def set_robot(request: web.Request) -> web.Response:
    async def action(actor: Actor, form: dict[str, str]) -> str:
        unit = form.get("unit", "")
        if unit != LIAISON_TARGET and await request.app[UNITS].get(unit) is None:
            raise ValidationError("请选择单位")
        target = LIAISON_TARGET if unit == LIAISON_TARGET else unit_target(unit)
        now = request.app[CLOCK]()
        await request.app[WECOM_NOTIFIER].keys.set(target, form.get("key", ""), actor.id, now)
        await request.app[AUDIT].record(actor, "wecom-robot-set", f"wecom-robot:{target}", now)
        return "机器人密钥已保存。"
    return await _save(request, action)


@routes.post(f"{PATH}/sender")
async def set_sender(request: web.Request) -> web.Response:
    async def action(actor: Actor, form: dict[str, str]) -> str:
        now = request.app[CLOCK]()
        await request.app[WECOM_SENDERS].set(form.get("userid", ""), form.get("enterprise", ""), now)
        await request.app[AUDIT].record(actor, "wecom-sender-set", f"wecom-sender:{form.get('userid')}", now)
        return "企业微信成员已对应到企业。"
    return await _save(request, action)


@routes.post(f"{PATH}/liaison")
async def set_liaison(request: web.Request) -> web.Response:
    async def action(actor: Actor, form: dict[str, str]) -> str:
        repo, now = request.app[LIAISONS], request.app[CLOCK]()
        user = form.get("user", "")
        await repo.assign(form.get("enterprise", ""), user, actor.id, now)
        await repo.set_contact(user, form.get("mobile") or None, form.get("wecom_userid") or None)
        await request.app[AUDIT].record(actor, "liaison-assign", f"enterprise:{form.get('enterprise')}", now, user)
        return "帮扶专员已指定。"
    return await _save(request, action)
