"""HTTP routes for call records (agents and supervisors)."""

from __future__ import annotations

from aiohttp import web

from callcenter.auth.http import SESSION, require_roles
from callcenter.db.errors import CallNotFound
from callcenter.http.json_body import json_response
from callcenter.http.sse import event_stream
from callcenter.keys import CALLS, SPEECH
from worksheet.errors import ValidationError
from worksheet.model import Role

routes = web.RouteTableDef()
_READERS = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


def _int(request: web.Request, name: str, default: int, upper: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 0 <= int(raw) <= upper:
        raise ValidationError(f"{name} must be an integer between 0 and {upper}")
    return int(raw)


@routes.get("/api/v1/calls")
async def list_calls(request: web.Request) -> web.Response:
    require_roles(request, *_READERS)
    items = await request.app[CALLS].repo.list(
        limit=_int(request, "limit", 50, 500), offset=_int(request, "offset", 0, 10**9),
        order_number=request.query.get("order_number") or None, caller=request.query.get("caller") or None)
    return json_response({"items": items})


@routes.get("/api/v1/calls/{linkedid}")
async def get_call(request: web.Request) -> web.Response:
    require_roles(request, *_READERS)
    linkedid = request.match_info["linkedid"]
    record = await request.app[CALLS].repo.get(linkedid)
    if record is None:
        raise CallNotFound(linkedid)
    record["transcripts"] = await request.app[SPEECH].transcripts.for_call(linkedid)
    return json_response(record)


@routes.get("/api/v1/live")
async def live_transcripts(request: web.Request) -> web.StreamResponse:
    """Server-sent events: partial and final transcripts (and DTMF) of the calls streamed now."""
    require_roles(request, *_READERS)
    return await event_stream(request, request[SESSION])
