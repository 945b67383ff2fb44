"""Live updates for the pages (server-sent events): order changes, calls ending, live transcripts.

Everything goes through the one LiveHub; each stream only passes on what its person may see
(a unit handler learns nothing about other units' orders, nor hears live calls).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from callcenter.keys import LIVE
from worksheet.model import Actor, Role, WorkOrder

from .session import web_actor

routes = web.RouteTableDef()
KEEPALIVE_S = 15.0


def order_event(order: WorkOrder) -> dict[str, Any]:
    return {"kind": "order", "number": order.number, "status": order.status.value, "version": order.version,
            "units": sorted(order.units)}


def visible(event: dict[str, Any], actor: Actor) -> bool:
    if actor.role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN):
        return True
    return event.get("kind") == "order" and actor.unit in event.get("units", ())


@routes.get("/events")
async def events(request: web.Request) -> web.StreamResponse:
    actor = web_actor(request)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8",
                                           "Cache-Control": "no-cache"})
    async with request.app[LIVE].subscribe() as queue:  # subscribed before the browser sees the stream open
        await response.prepare(request)
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
            except TimeoutError:
                await response.write(b": keep-alive\n\n")
                continue
            if visible(event, actor):
                data = json.dumps(event, ensure_ascii=False, default=str)
                await response.write(f"event: {event.get('kind', 'message')}\ndata: {data}\n\n".encode())
