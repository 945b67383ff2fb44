"""A client that goes away mid-response (a closed tab ending its event stream, the audio player
seeking in a recording) is normal, not an error: one DEBUG line, no traceback.

aiohttp does not cancel a handler when its client disconnects (that would cut database writes in
half), so a handler writing to the gone client gets a ConnectionResetError. aiohttp's own request
handler would log that at ERROR, and so would our error middlewares; they call `went_away`
first and answer with `gone_response`, whose writing fails quietly inside aiohttp.
"""

from __future__ import annotations

import logging

from aiohttp import web

log = logging.getLogger("zhitong.http")
CLIENT_CLOSED = 499  # nginx's "client closed request": what the access log shows for these


def client_gone(request: web.BaseRequest) -> bool:
    """The connection is closed or closing: nothing more can reach the client."""
    transport = request.transport
    return transport is None or transport.is_closing()


def went_away(request: web.BaseRequest, exc: BaseException) -> bool:
    """``exc`` is the client's disconnection, not a failure of ours (a database connection reset
    while the client is still there stays an error)."""
    return isinstance(exc, ConnectionResetError | BrokenPipeError) and client_gone(request)


def gone_response(request: web.BaseRequest) -> web.Response:
    log.debug("%s %s: the client went away", request.method, request.path)
    return web.Response(status=CLIENT_CLOSED)
