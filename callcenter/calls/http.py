"""HTTP routes for call records (agents and supervisors)."""

from __future__ import annotations

from aiohttp import web

from callcenter.auth.http import SESSION, require_roles
from callcenter.db.errors import CallNotFound
from callcenter.http.json_body import json_response, query_int
from callcenter.http.masking import masked
from callcenter.http.sse import event_stream
from callcenter.keys import AUDIT, CALLS, CLOCK, SPEECH
from worksheet.model import Role

routes = web.RouteTableDef()
_READERS = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


@routes.get("/api/v1/calls")
async def list_calls(request: web.Request) -> web.Response:
    require_roles(request, *_READERS)
    items = await request.app[CALLS].repo.list(
        limit=query_int(request, "limit", 50, 0, 500), offset=query_int(request, "offset", 0, 0, 10**9),
        order_number=request.query.get("order_number") or None, caller=request.query.get("caller") or None)
    return json_response({"items": masked(items)})


@routes.get("/api/v1/calls/{linkedid}")
async def get_call(request: web.Request) -> web.Response:
    require_roles(request, *_READERS)
    linkedid = request.match_info["linkedid"]
    record = await request.app[CALLS].repo.get(linkedid)
    if record is None:
        raise CallNotFound(linkedid)
    record["transcripts"] = await request.app[SPEECH].transcripts.for_call(linkedid)
    return json_response(masked(record))


@routes.post("/api/v1/calls/{linkedid}/reveal-caller")
async def reveal_caller(request: web.Request) -> web.Response:
    """The caller's full number (to call back); every reveal is audited."""
    actor = require_roles(request, *_READERS)
    linkedid = request.match_info["linkedid"]
    record = await request.app[CALLS].repo.get(linkedid)
    if record is None:
        raise CallNotFound(linkedid)
    await request.app[AUDIT].record(actor, "reveal-caller", linkedid[:64], request.app[CLOCK](), "api")
    return json_response({"linkedid": linkedid, "caller": record.get("caller")}, headers={"Cache-Control": "no-store"})


@routes.get("/api/v1/live")
async def live_transcripts(request: web.Request) -> web.StreamResponse:
    """Server-sent events: partial and final transcripts (and DTMF) of the calls streamed now."""
    require_roles(request, *_READERS)
    return await event_stream(request, request[SESSION])
