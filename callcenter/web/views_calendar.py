"""Calendar overrides (节假日调整) for supervisors: add or remove a day off or a working weekend;
every deadline on every node follows within a minute (on this node at once)."""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp import web

from callcenter.keys import CALENDAR, CLOCK
from worksheet.errors import ValidationError
from worksheet.model import Role

from .messages import user_message
from .render import render
from .session import web_actor

routes = web.RouteTableDef()
KIND_LABEL = {"holiday": "放假", "workday": "调休上班"}


async def _page(request: web.Request, *, status: int = 200, flash: str = "", flash_kind: str = "ok") -> web.Response:
    overrides = request.app[CALENDAR]
    today = request.app[CLOCK]().date()
    days = [today + timedelta(days=i) for i in range(21)]
    calendar = overrides.calendar
    upcoming = [{"day": d, "working": calendar.is_working_day(d), "provisional": calendar.is_provisional(d)}
                for d in days]
    return render(request, "calendar.html", status=status, overrides=await overrides.list(), upcoming=upcoming,
                  base_holidays=sorted(overrides.base[0]), base_workdays=sorted(overrides.base[1]),
                  kinds=KIND_LABEL, flash=flash, flash_kind=flash_kind)


@routes.get("/supervisor/calendar")
async def page(request: web.Request) -> web.Response:
    web_actor(request, Role.SUPERVISOR)
    return await _page(request)


@routes.post("/supervisor/calendar")
async def change(request: web.Request) -> web.Response:
    actor = web_actor(request, Role.SUPERVISOR)
    form = await request.post()
    try:
        day = date.fromisoformat(str(form.get("day", "")))
    except ValueError:
        return await _page(request, status=422, flash="日期格式应为 2027-02-11", flash_kind="error")
    try:
        if form.get("remove"):
            await request.app[CALENDAR].remove(day)
            return await _page(request, flash=f"已删除 {day.isoformat()} 的调整")
        await request.app[CALENDAR].set(day, str(form.get("kind", "")), str(form.get("name", "")), by=actor.id)
    except ValidationError as exc:
        return await _page(request, status=422, flash=user_message(exc), flash_kind="error")
    return await _page(request, flash=f"已保存：{day.isoformat()} {KIND_LABEL.get(str(form.get('kind')), '')}")
