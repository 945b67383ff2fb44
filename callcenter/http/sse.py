"""Server-sent event streams of the LiveHub (`/events` for the pages, `/api/v1/live` for the API).

Each stream is registered with its session, so it ends (with an `end` event saying why) as soon as
the session is revoked on any node, the token expires, or the server shuts down; otherwise it
would deliver events to a logged-out or disabled person for as long as the browser stays.

A client that goes away (a closed tab) ends its stream quietly, and within `GONE_CHECK_S` even
when nothing is published: aiohttp tells a handler nothing of a closed connection, so a quiet
stream would otherwise hold its hub subscription until its next keep-alive write.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from callcenter.auth.services import Session
from callcenter.auth.streams import Stream
from callcenter.auth.tokens import digest
from callcenter.http.disconnect import client_gone
from callcenter.http.local_time import local_times
from callcenter.keys import AUTH, LIVE

log = logging.getLogger("zhitong.http")
KEEPALIVE_S = 15.0  # proxies close idle streams
GONE_CHECK_S = 1.0  # how often a quiet stream looks whether its client is still connected


def _frame(kind: str, event: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(local_times(event), ensure_ascii=False, default=str)}\n\n".encode()


async def event_stream(request: web.Request, session: Session,
                       visible: Callable[[dict[str, Any]], bool] = lambda event: True) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8",
                                           "Cache-Control": "no-cache"})
    streams = request.app[AUTH].streams
    # Subscribed and registered before the client sees the stream open: nothing published or
    # revoked after that is missed.
    async with request.app[LIVE].subscribe() as queue:
        with streams.track(digest(session.token), session.actor.id, session.expires_at, queue) as stream:
            try:
                await response.prepare(request)
                await _pump(request, response, queue, stream, visible)
            except (ConnectionResetError, BrokenPipeError):  # aiohttp's ClientConnectionResetError too
                log.debug("event stream %s ended: the client went away", request.path)
    return response  # aiohttp's closing write to a gone client fails quietly


async def _pump(request: web.Request, response: web.StreamResponse, queue: asyncio.Queue[dict[str, Any]],
                stream: Stream, visible: Callable[[dict[str, Any]], bool]) -> None:
    """Pass the visible events on until the server ends the stream or the client goes away."""
    loop = asyncio.get_running_loop()
    quiet_since = loop.time()
    while True:
        try:
            event = await asyncio.wait_for(queue.get(), GONE_CHECK_S)
        except TimeoutError:
            if client_gone(request):
                log.debug("event stream %s ended: the client went away", request.path)
                return
            if loop.time() - quiet_since >= KEEPALIVE_S:
                await response.write(b": keep-alive\n\n")
                quiet_since = loop.time()
            continue
        if stream.ended is not None:
            await response.write(_frame("end", {"reason": stream.ended}))
            return
        if visible(event):
            await response.write(_frame(str(event.get("kind", "message")), event))
            quiet_since = loop.time()
