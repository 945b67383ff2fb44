"""Running the aiohttp application in a process: what aiohttp's `web.run_app` does, plus two
things it cannot be told to do.

1. A request aiohttp cannot parse never reaches a middleware: aiohttp answers it with a 400 whose
   body is the parser's message and logs that message at ERROR. The message quotes the raw header
   line, so `Authorization: Bearer <token>` with one stray control character was echoed to the
   client and written to the log, token and all. `QuietRequestHandler` answers such requests with
   a fixed problem+json body and logs one line naming only the kind of error.
2. A bounded shutdown: on SIGTERM, requests in flight get `SHUTDOWN_TIMEOUT_S` (aiohttp's default
   is 60 s); endless responses (event streams) are ended by the application's on_shutdown hooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from callcenter.http.problems import problem_response

log = logging.getLogger("zhitong.http")
SHUTDOWN_TIMEOUT_S = 10.0


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


class QuietAppRunner(web.AppRunner):
    """An AppRunner whose connections are handled by `QuietRequestHandler`."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        return _QuietServer(server.request_handler, request_factory=server.request_factory,
                            handler_cancellation=server.handler_cancellation, **server._kwargs)


def run_app(app: web.Application, sock: socket.socket, *, access_log: logging.Logger | None,
            on_ready: Callable[[], None] | None = None) -> None:
    """Serve ``app`` on the listening ``sock`` until SIGTERM or SIGINT, then shut down gracefully.
    ``on_ready`` runs once the application has started and the site accepts requests."""

    async def serve() -> None:
        runner = QuietAppRunner(app, handle_signals=True, access_log=access_log,
                                shutdown_timeout=SHUTDOWN_TIMEOUT_S)
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            if on_ready is not None:
                on_ready()
            await asyncio.Event().wait()  # the signal handlers raise GracefulExit out of the loop
        finally:
            await runner.cleanup()

    with asyncio.Runner() as loop_runner:
        loop = loop_runner.get_loop()
        task = loop.create_task(serve())
        try:
            loop.run_until_complete(task)
        except (web.GracefulExit, KeyboardInterrupt):
            task.cancel()  # runs serve()'s cleanup: on_shutdown hooks, in-flight requests, cleanup_ctx
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(task)
