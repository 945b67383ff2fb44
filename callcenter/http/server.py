"""Running the aiohttp application in a process: what aiohttp's `web.run_app` does, plus two
things it cannot be told to do.

1. A request aiohttp cannot parse never reaches a middleware: aiohttp answers it with a 400 whose
   body is the parser's message and logs that message at ERROR. The message quotes the raw header
   line, so `Authorization: Bearer <token>` with one stray control character was echoed to the
   client and written to the log, token and all. `QuietRequestHandler` answers such requests with
   a fixed problem+json body and logs one line naming only the kind of error.
2. A bounded shutdown. The first SIGTERM or SIGINT stops the service (a second one, e.g. the
   terminal's Ctrl-C after the parent forwarded SIGTERM to a worker, is only noted); event streams
   are ended by the application's on_shutdown hooks, requests in flight get `SHUTDOWN_TIMEOUT_S`
   in all (aiohttp's default is 60 s, and it waits that long twice for a handler that will not
   end, e.g. a stream whose client stopped reading).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from callcenter.http.problems import problem_response

log = logging.getLogger("zhitong.http")
SHUTDOWN_TIMEOUT_S = 2.0


class QuietRequestHandler(RequestHandler):
    def handle_error(self, request: BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if status != 400:  # aiohttp's 400s are the requests its parser refused; the rest keep its handling
            return super().handle_error(request, status, exc, message)
        # Only the class name: the exception's text quotes the raw bytes of the request.
        log.warning("refused an unparseable HTTP request from %s (%s)", request.remote, type(exc).__name__)
        response = problem_response(400, "bad-request", "Malformed request",
                                    "the request line or a header could not be parsed")
        response.force_close()
        return response


class _QuietServer(web.Server):
    def __call__(self) -> RequestHandler:
        return QuietRequestHandler(self, loop=self._loop, **self._kwargs)

    async def shutdown(self, timeout: float | None = None) -> None:
        # aiohttp waits ``timeout`` for a handler to finish, then as long again before cancelling it.
        await super().shutdown(None if timeout is None else timeout / 2)


class QuietAppRunner(web.AppRunner):
    """An AppRunner whose connections are handled by `QuietRequestHandler`."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        return _QuietServer(server.request_handler, request_factory=server.request_factory,
                            handler_cancellation=server.handler_cancellation, **server._kwargs)


def run_app(app: web.Application, sock: socket.socket, *, access_log: logging.Logger | None,
            before_serving: Callable[[], Awaitable[bool]] | None = None,
            serving: Callable[[], None] | None = None, stopping: Callable[[], None] | None = None) -> None:
    """Serve ``app`` on the listening ``sock`` until SIGTERM or SIGINT, then shut down gracefully.

    ``before_serving``: awaited after start-up, before the first connection is accepted (False:
    stop instead); ``serving``: called once connections are accepted; ``stopping``: called when
    the stop signal arrives, before anything stops (worker processes are told at once)."""

    async def serve() -> None:
        stop = asyncio.Event()

        def on_signal(signum: int) -> None:
            if stop.is_set():
                log.info("%s: already stopping", signal.Signals(signum).name)
                return
            stop.set()
            if stopping is not None:
                stopping()

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal, signum)
        runner = QuietAppRunner(app, handle_signals=False, access_log=access_log,
                                shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        try:
            if await _unless(stop, runner.setup()) and (
                    before_serving is None or await _unless(stop, before_serving())):
                await web.SockSite(runner, sock).start()
                if serving is not None:
                    serving()
                await stop.wait()
        finally:
            await runner.cleanup()  # on_shutdown hooks, in-flight requests, cleanup_ctx

    with asyncio.Runner() as loop_runner:
        loop_runner.run(serve())


async def _unless(stop: asyncio.Event, step: Awaitable[Any]) -> bool:
    """Run ``step`` unless ``stop`` is set first (then cancel it): a signal during a slow start-up
    (loading the speech model) stops the service at once. Whether ``step`` ran, and said go on."""
    task = asyncio.ensure_future(step)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return False
    return task.result() is not False
