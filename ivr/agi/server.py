"""FastAGI server: accept Asterisk connections, route them by script name, always close the socket.

Why not panoramisk's ``fast_agi.Application``: a peer that connects and closes before sending
the header block (load-balancer / container health checks) makes it loop forever on EOF and
freezes the process. Here every connection has a bounded header phase and ends in ``finally``.

Rules this server keeps, from the Asterisk 22 captures:

* Asterisk never closes a FastAGI socket and keeps the channel up until we do, so *we* close it
  on every path (success, hangup, error, cancellation);
* a failed or unknown script must not leave the caller in dead air: the channel is sent to the
  fallback context (``SET CONTEXT``/``SET EXTENSION``/``SET PRIORITY``) and the dialplan goes on.
  So is a complete header block that names a script but cannot be trusted (duplicated fields,
  NUL bytes, no usable uniqueid): merely closing would leave ``AGISTATUS=SUCCESS`` and the
  dialplan believing the script ran;
* nobody authenticates on FastAGI, so an optional ``allow_peer`` check runs at accept time, and at
  most ``max_connections`` are served at once (a flood is closed at accept, not buffered).

Routes are ``async def route(session: AgiSession) -> None``. Plain sync callables are not
supported: a route whose call does not return an awaitable is reported as a failure (fallback).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping

from ivr.agi.codec import AgiProtocolError, AgiRequest, HeaderReader
from ivr.agi.session import READ_SIZE, AgiSession, CallerHungUp
from ivr.peers import RefusalLog
from ivr.peers import refusal as peer_refusal

logger = logging.getLogger(__name__)

Route = Callable[[AgiSession], Awaitable[None]]
# Is this peer address (the IP string of the TCP peer) allowed to open a FastAGI session?
PeerCheck = Callable[[str], bool]

# Fallback commands must not hold a socket for the full command timeout if Asterisk is stuck.
FALLBACK_TIMEOUT = 5.0
# Bound on waiting for the peer to acknowledge our close; Asterisk does so at once.
CLOSE_TIMEOUT = 2.0
# Concurrent connections (IVR calls plus header phases); each is a socket and a task.
MAX_CONNECTIONS = 1000


class AgiServer:
    """Routes FastAGI connections by ``agi_network_script``; counters are plain int attributes."""

    def __init__(
        self,
        routes: Mapping[str, Route],
        *,
        fallback_context: str = "agi-fail",
        fallback_extension: str = "s",
        header_timeout: float = 5.0,
        command_timeout: float = 30.0,
        max_connections: int = MAX_CONNECTIONS,
        allow_peer: PeerCheck | None = None,
    ) -> None:
        self.routes = dict(routes)
        self.fallback_context = fallback_context
        self.fallback_extension = fallback_extension
        self.header_timeout = header_timeout
        self.command_timeout = command_timeout
        self.max_connections = max_connections
        self.allow_peer = allow_peer
        self._refusals = RefusalLog(logger, "FastAGI")
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        # Metrics.
        self.connections = 0  # every accepted TCP connection, health checks included
        self.refused = 0  # closed at accept: peer not allowed, or max_connections reached
        self.rejected = 0  # closed before a usable header block (EOF, junk, header timeout)
        self.invalid_requests = 0  # complete blocks with problems: fallback without a route
        self.sessions = 0  # connections with a valid header block
        self.hangups = 0  # sessions ended by CallerHungUp
        self.failures = 0  # route raised (or returned no awaitable)
        self.unknown_scripts = 0
        self.fallbacks = 0  # fallback SET commands sent successfully

    @property
    def live_sessions(self) -> int:
        """Connections currently being served (header phase included)."""
        return len(self._tasks)

    async def start(self, host: str, port: int) -> asyncio.Server:
        if self._server is not None:
            raise RuntimeError("AgiServer already started")
        self._server = await asyncio.start_server(self._handle, host, port)
        return self._server

    async def close(self) -> None:
        """Stop accepting, cancel live sessions (their sockets are closed by _handle), wait for them."""
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    # ------------------------------------------------------------------ per connection

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        self.connections += 1
        if (refusal := peer_refusal(peer, self.allow_peer, len(self._tasks), self.max_connections)) is not None:
            self.refused += 1
            self._refusals.note(refusal, peer)
            writer.close()  # at once: no task, no read, no wait for the peer
            return
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            got = await self._read_request(reader, peer)
            if got is not None:
                request, remainder = got
                session = AgiSession(
                    reader, writer, request, command_timeout=self.command_timeout, initial=remainder
                )
                if request.problems:
                    self.invalid_requests += 1
                    logger.warning("FastAGI peer %s sent an unusable request for %r (%s); sending the channel to %s",
                                   peer, request.network_script[:64], "; ".join(request.problems),
                                   self.fallback_context)
                    await self._fallback(session)
                else:
                    self.sessions += 1
                    await self._run(session)
        except Exception:
            # _run handles route errors; this is a bug in the server itself. Log, never propagate:
            # an exception escaping a connection callback only ends up in the loop's handler.
            logger.exception("FastAGI connection from %s failed", peer)
        finally:
            self._tasks.discard(task)
            await _close_writer(writer)

    async def _read_request(self, reader: asyncio.StreamReader, peer: object) -> tuple[AgiRequest, bytes] | None:
        headers = HeaderReader()

        async def read_block() -> tuple[AgiRequest, bytes] | None:
            while True:
                data = await reader.read(READ_SIZE)
                if not data:
                    return None  # EOF: a health check or a peer that gave up; never loop on it
                request = headers.feed(data)
                if request is not None:
                    return request, headers.remainder

        try:
            # One deadline for the whole block, so a peer trickling bytes cannot hold the socket.
            got = await asyncio.wait_for(read_block(), self.header_timeout)
        except TimeoutError:
            logger.info("FastAGI peer %s sent no complete header block in %.1f s", peer, self.header_timeout)
        except AgiProtocolError as exc:
            logger.info("FastAGI peer %s sent an unusable header block: %s", peer, exc)
        except (ConnectionError, OSError) as exc:
            logger.debug("FastAGI peer %s dropped during headers: %s", peer, exc)
        else:
            if got is not None:
                return got
            logger.debug("FastAGI peer %s closed before sending headers", peer)
        self.rejected += 1
        return None

    async def _run(self, session: AgiSession) -> None:
        request = session.request
        route = self.routes.get(request.network_script)
        if route is None:
            self.unknown_scripts += 1
            logger.warning(
                "FastAGI: no route for script %r (uniqueid %s); sending the channel to %s",
                request.network_script[:64], request.uniqueid, self.fallback_context,
            )
            await self._fallback(session)
            return
        try:
            result = route(session)
            if not inspect.isawaitable(result):
                raise TypeError(f"route for {request.network_script!r} is not async (returned {result!r})")
            await result
        except CallerHungUp as exc:
            self.hangups += 1
            logger.debug("FastAGI %s: caller hung up (%s)", request.uniqueid, exc)
        except Exception:
            self.failures += 1
            logger.exception(
                "FastAGI route %r failed (uniqueid %s, channel %s); sending the channel to %s",
                request.network_script, request.uniqueid, request.channel[:120], self.fallback_context,
            )
            await self._fallback(session)

    async def _fallback(self, session: AgiSession) -> None:
        """Send the channel to the fallback context so the caller never sits in dead air."""
        try:
            for name, value in (
                ("SET CONTEXT", self.fallback_context),
                ("SET EXTENSION", self.fallback_extension),
                ("SET PRIORITY", 1),
            ):
                await session.command(name, value, timeout=min(self.command_timeout, FALLBACK_TIMEOUT))
        except CallerHungUp:
            return  # the channel is gone: nothing left to save
        except (AgiProtocolError, TimeoutError, ConnectionError, OSError) as exc:
            logger.info("FastAGI %s: fallback not completed: %s", session.uniqueid[:64], exc)
            return
        self.fallbacks += 1


async def _close_writer(writer: asyncio.StreamWriter) -> None:
    # Asterisk keeps the channel up until this close, so it must happen on every path.
    writer.close()
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.wait_for(writer.wait_closed(), CLOSE_TIMEOUT)
