"""Server-sent event streams of the LiveHub (`/events` for the pages, `/api/v1/live` for the API).

Each stream is registered with its session, so it ends (with an `end` event saying why) as soon as
the session is revoked on any node, the token expires, or the server shuts down; otherwise it
would deliver events to a logged-out or disabled person for as long as the browser stays.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from callcenter.auth.services import Session
from callcenter.auth.tokens import digest
from callcenter.http.local_time import local_times
from callcenter.keys import AUTH, LIVE

KEEPALIVE_S = 15.0  # proxies close idle streams


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
            await response.prepare(request)
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if stream.ended is not None:
                    await response.write(_frame("end", {"reason": stream.ended}))
                    return response
                if visible(event):
                    await response.write(_frame(str(event.get("kind", "message")), event))
