"""HTTP routes for supervision and units."""

from __future__ import annotations

import re
from datetime import datetime

from aiohttp import web

from callcenter.auth.http import require_roles
from callcenter.http.json_body import json_object, json_response
from callcenter.keys import CLOCK, SUPERVISION, UNITS
from callcenter.orders.schemas import parse_datetime
from worksheet.errors import ValidationError
from worksheet.model import Role
from worksheet.supervision import SHANGHAI, CardIssue, UnitFlag

routes = web.RouteTableDef()
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def card_view(issue: CardIssue) -> dict[str, object]:
    return {"number": issue.number, "color": issue.color.value, "unit": issue.unit, "cycle": issue.cycle,
            "clock": issue.clock, "missed_due": issue.due.isoformat()}


def flag_view(flag: UnitFlag) -> dict[str, object]:
    return {"unit": flag.unit, "month": flag.month, "flag": flag.flag, "cards": flag.cards}


@routes.get("/api/v1/units")
async def list_units(request: web.Request) -> web.Response:
    units = await request.app[UNITS].list()
    return json_response({"items": units})


@routes.get("/api/v1/supervision")
async def supervision(request: web.Request) -> web.Response:
    require_roles(request, Role.SUPERVISOR, Role.ADMIN, Role.AGENT)
    month = request.query.get("month") or request.app[CLOCK]().astimezone(SHANGHAI).strftime("%Y-%m")
    if not _MONTH.match(month):
        raise ValidationError("month must look like YYYY-MM")
    cards, flags = await request.app[SUPERVISION].month(month)
    per_unit: dict[str, dict[str, int]] = {}
    for card in cards:
        counts = per_unit.setdefault(card.unit, {"yellow": 0, "red": 0})
        counts[card.color.value] += 1
    return json_response({
        "month": month,
        "units": [{"unit": u, **n} for u, n in sorted(per_unit.items())],
        "flags": [flag_view(f) for f in flags],
    })


@routes.post("/api/v1/supervision/sweep")
async def run_sweep(request: web.Request) -> web.Response:
    require_roles(request, Role.SUPERVISOR, Role.ADMIN)
    body = await json_object(request, optional=True)
    at: datetime | None = parse_datetime(body["at"], "at") if body.get("at") else None
    report = await request.app[SUPERVISION].run(at)
    return json_response({"cards": [card_view(c) for c in report.cards], "flags": [flag_view(f) for f in report.flags]})
