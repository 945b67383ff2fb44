"""Live updates for the pages (server-sent events): order changes, calls ending, live transcripts.

Everything goes through the one LiveHub; each stream only passes on what its person may see
(a unit handler learns nothing about other units' orders, nor hears live calls; a call's live
draft reaches only the agent who opened its form).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callcenter.http.sse import event_stream
from worksheet.model import Actor, Role, WorkOrder

from .session import WEB_SESSION, web_actor

routes = web.RouteTableDef()


def order_event(order: WorkOrder) -> dict[str, Any]:
    return {"kind": "order", "number": order.number, "status": order.status.value, "version": order.version,
            "units": sorted(order.units)}


def visible(event: dict[str, Any], actor: Actor) -> bool:
    if event.get("kind") == "draft":  # a live draft is for the agent whose form is open for that call
        return event.get("agent") == actor.id
    if actor.role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN):
        return True
    return event.get("kind") == "order" and actor.unit in event.get("units", ())


@routes.get("/events")
async def events(request: web.Request) -> web.StreamResponse:
    actor = web_actor(request)
    return await event_stream(request, request[WEB_SESSION], lambda event: visible(event, actor))
