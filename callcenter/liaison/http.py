"""HTTP: admins assign liaison officers to enterprises and set how to reach them; a liaison reads
their notices (API and the 帮扶提醒 page); supervisors get orders per liaison for a period."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from callcenter.auth.http import actor_of, require_roles
from callcenter.http.json_body import json_object, json_response
from callcenter.http.problems import NotFound
from callcenter.keys import AUDIT, CLOCK
from callcenter.reports.keys import REPORTS
from callcenter.web.render import render
from callcenter.web.session import web_actor
from worksheet.errors import ValidationError
from worksheet.model import Role

from .keys import LIAISONS

routes = web.RouteTableDef()


def _text(body: dict[str, Any], name: str, *, optional: bool = False) -> str | None:
    value = body.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or len(value) > 200:
        raise ValidationError(f"{name} is a required string")
    return value


@routes.get("/api/v1/liaisons")
async def list_assignments(request: web.Request) -> web.Response:
    require_roles(request, Role.ADMIN, Role.SUPERVISOR)
    return json_response({"liaisons": await request.app[LIAISONS].assignments()})


@routes.put("/api/v1/liaisons")
async def assign(request: web.Request) -> web.Response:
    actor = require_roles(request, Role.ADMIN)
    body = await json_object(request)
    enterprise, user = _text(body, "enterprise"), _text(body, "user")
    assert enterprise is not None and user is not None
    now = request.app[CLOCK]()
    await request.app[LIAISONS].assign(enterprise, user, actor.id, now)
    await request.app[AUDIT].record(actor, "liaison-assign", f"enterprise:{enterprise}", now, user)
    return json_response({"enterprise": enterprise, "user": user})


@routes.delete("/api/v1/liaisons")
async def unassign(request: web.Request) -> web.Response:
    actor = require_roles(request, Role.ADMIN)
    enterprise = _text(await json_object(request), "enterprise")
    assert enterprise is not None
    if not await request.app[LIAISONS].unassign(enterprise):
        raise NotFound("this enterprise has no liaison")
    await request.app[AUDIT].record(actor, "liaison-unassign", f"enterprise:{enterprise}", request.app[CLOCK]())
    return json_response({"enterprise": enterprise, "removed": True})


@routes.put("/api/v1/liaisons/contacts/{username}")
async def set_contact(request: web.Request) -> web.Response:
    actor = require_roles(request, Role.ADMIN)
    body = await json_object(request)
    username = request.match_info["username"]
    await request.app[LIAISONS].set_contact(username, _text(body, "mobile", optional=True),
                                            _text(body, "wecom_userid", optional=True))
    await request.app[AUDIT].record(actor, "liaison-contact", f"user:{username}", request.app[CLOCK]())
    return json_response({"user": username, "saved": True})


async def _own(request: web.Request, user: str) -> tuple[int | None, list[dict[str, Any]]]:
    repo = request.app[LIAISONS]
    user_id = await repo.user_id(user)
    return user_id, ([] if user_id is None else await repo.notices(user_id))


def _view(notice: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in notice.items() if k != "idempotency_key"}


@routes.get("/api/v1/liaison/notices")
async def own_notices(request: web.Request) -> web.Response:
    _, notices = await _own(request, actor_of(request).id)
    return json_response({"notices": [_view(n) for n in notices]})


@routes.get("/api/v1/reports/liaisons")
async def orders_per_liaison(request: web.Request) -> web.Response:
    require_roles(request, Role.SUPERVISOR, Role.ADMIN)
    service = request.app[REPORTS]
    period = service.period(request.query.get("period"), request.query.get("date"))
    return json_response({"period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
                          "liaisons": await service.liaisons(period)})


@routes.get("/liaison")
async def page(request: web.Request) -> web.Response:
    actor = web_actor(request)
    user_id, notices = await _own(request, actor.id)
    companies = [] if user_id is None else await request.app[LIAISONS].enterprises_of(user_id)
    return render(request, "liaison.html", notices=notices, companies=companies)


@routes.post("/liaison/read")
async def mark_read(request: web.Request) -> web.Response:
    actor = web_actor(request)
    user_id = await request.app[LIAISONS].user_id(actor.id)
    if user_id is not None:
        await request.app[LIAISONS].mark_read(user_id, request.app[CLOCK]())
    raise web.HTTPSeeOther("/liaison")
