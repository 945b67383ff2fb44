"""AMI client for the service: login, keep-alive, ordered events, reconnect with jittered backoff.

Kept apart from the codec (pure bytes -> messages) and from the call tracker: this module only
owns the socket, the session and the retry loop (the wazo-amid split).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from callcenter.ami.codec import Message, encode_action
from callcenter.ami.connection import ActionResult, AmiConnection, AmiConnectionLost
from callcenter.ami.dispatch import EventHandler, OrderedDispatcher

logger = logging.getLogger(__name__)


class AmiAuthError(Exception):
    error_id = "ami-auth-failed"


@dataclass(frozen=True)
class AmiConfig:
    host: str
    port: int = 5038
    username: str = "zhitong"
    secret: str = ""
    auth: str = "md5"  # "md5" (challenge/response, the secret never crosses the wire) or "plain"
    connect_timeout: float = 5.0
    action_timeout: float = 10.0
    ping_interval: float = 20.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    auth_retry: float = 60.0  # wrong credentials: one error, then a slow retry, never a hot loop


Session = Callable[["AmiClient"], Awaitable[None]]


class AmiClient:
    def __init__(self, config: AmiConfig, on_event: EventHandler, *,
                 on_session: Session | None = None, on_disconnect: Callable[[], None] | None = None,
                 rng: random.Random | None = None) -> None:
        self.config = config
        self.dispatcher = OrderedDispatcher(on_event)
        self.on_session = on_session  # runs after each login (resync), events keep flowing meanwhile
        # Runs once when a logged-in session ends, as soon as the reader sees the connection end
        # (EOF, reset, or the abort of an unanswered keep-alive), whatever the session is busy with.
        self.on_disconnect = on_disconnect
        self.rng = rng or random.Random()
        self.connected = asyncio.Event()
        self.sessions = 0  # successful logins
        self.auth_failures = 0
        self.last_fully_booted: Message | None = None
        self._conn: AmiConnection | None = None
        self._ids = itertools.count(1)
        self._prefix = f"zt-{self.rng.getrandbits(32):08x}"
        self._stopping = False

    # -- public API ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Connect and stay connected until :meth:`stop`."""
        self.dispatcher.start()
        delay = self.config.backoff_initial
        while not self._stopping:
            try:
                await self._session()
                delay = self.config.backoff_initial  # the session was healthy: start over
            except AmiAuthError as exc:
                self.auth_failures += 1
                log = logger.error if self.auth_failures == 1 else logger.debug
                log("AMI login to %s:%s refused: %s; retrying every %.0f s", self.config.host,
                    self.config.port, exc, self.config.auth_retry)
                await self._sleep(self.config.auth_retry)
                continue
            except (OSError, AmiConnectionLost, TimeoutError) as exc:
                logger.warning("AMI %s:%s unavailable: %s", self.config.host, self.config.port, exc or type(exc))
            if self._stopping:
                break
            # Full jitter: many app nodes restarting with Asterisk must not reconnect in lockstep.
            await self._sleep(self.rng.uniform(0, delay))
            delay = min(self.config.backoff_max, delay * 2)

    async def stop(self) -> None:
        self._stopping = True
        if self._conn is not None:
            self._conn.close()
        await self.dispatcher.close()

    async def action(self, name: str, headers: Sequence[tuple[str, str]] | Mapping[str, str] = (), *,
                     action_id: str | None = None, timeout: float | None = None) -> ActionResult:
        """Send one action; the result holds its response and, for list actions, the list events."""
        conn = self._conn
        if conn is None or not self.connected.is_set():
            raise AmiConnectionLost("AMI is not connected")
        return await self._send(conn, name, headers, action_id, timeout)

    def next_action_id(self) -> str:
        return f"{self._prefix}-{next(self._ids)}"

    # -- session ---------------------------------------------------------------------------------

    async def _session(self) -> None:
        loop = asyncio.get_running_loop()
        cfg = self.config
        _, conn = await asyncio.wait_for(
            loop.create_connection(self._connection, cfg.host, cfg.port),
            cfg.connect_timeout)
        self._conn = conn
        assert conn.transport is not None
        self.dispatcher.attach(conn.transport.pause_reading, conn.transport.resume_reading)
        pinger: asyncio.Task[None] | None = None
        try:
            await asyncio.wait_for(asyncio.shield(conn.banner), cfg.connect_timeout)
            await self._login(conn)
            self.sessions += 1
            self.connected.set()
            logger.info("AMI logged in to %s:%s as %s", cfg.host, cfg.port, cfg.username)
            pinger = loop.create_task(self._keepalive(conn))
            if self.on_session is not None:
                await self._run_session_hook()
            await conn.closed
        finally:
            self._lost(conn)  # the session failed while the connection was still up
            if pinger is not None:
                pinger.cancel()
            conn.abort()
            self._conn = None

    def _connection(self) -> AmiConnection:
        conn = AmiConnection(self._on_event)
        conn.on_lost = lambda: self._lost(conn)
        return conn

    def _lost(self, conn: AmiConnection) -> None:
        if conn is self._conn and self.connected.is_set():  # not an older connection closing late
            self.connected.clear()
            if self.on_disconnect is not None:
                self.on_disconnect()

    async def _run_session_hook(self) -> None:
        assert self.on_session is not None
        try:
            await self.on_session(self)
        except (AmiConnectionLost, TimeoutError, OSError):
            raise  # the connection itself failed: reconnect
        except Exception:
            # A reply the hook could not digest (a forged channel list) must not end the client's run
            # loop: the session stays up, events keep flowing, and the next login runs the hook again.
            logger.exception("AMI session hook failed; the session goes on without it")

    async def _login(self, conn: AmiConnection) -> None:
        cfg = self.config
        if cfg.auth == "md5":
            challenge = await self._send(conn, "Challenge", [("AuthType", "MD5")], None, None)
            if not challenge.ok or not challenge.response.get("Challenge"):
                raise AmiAuthError(f"MD5 challenge refused: {challenge.message or challenge.response.headers}")
            key = hashlib.md5((challenge.response.get("Challenge", "") + cfg.secret).encode()).hexdigest()
            creds = [("AuthType", "MD5"), ("Username", cfg.username), ("Key", key)]
        else:
            creds = [("Username", cfg.username), ("Secret", cfg.secret)]
        try:
            result = await self._send(conn, "Login", creds, None, None)
        except AmiConnectionLost as exc:
            raise AmiAuthError("connection closed during login") from exc
        if not result.ok:
            raise AmiAuthError(result.message or "login refused")

    async def _keepalive(self, conn: AmiConnection) -> None:
        # A half-open TCP connection (Asterisk host gone, NAT dropped) is only noticed by writing.
        while True:
            await asyncio.sleep(self.config.ping_interval)
            try:
                await self._send(conn, "Ping", (), None, self.config.action_timeout)
            except (TimeoutError, AmiConnectionLost):
                logger.warning("AMI keep-alive unanswered; reconnecting")
                conn.abort()
                return

    async def _send(self, conn: AmiConnection, name: str, headers: Sequence[tuple[str, str]] | Mapping[str, str],
                    action_id: str | None, timeout: float | None) -> ActionResult:
        action_id = action_id or self.next_action_id()
        future = conn.send(encode_action(name, headers, action_id), action_id)
        try:
            return await asyncio.wait_for(future, timeout or self.config.action_timeout)
        finally:
            conn.forget(action_id)

    def _on_event(self, msg: Message) -> None:
        if msg.name == "FullyBooted":
            self.last_fully_booted = msg
        self.dispatcher.put(msg)

    async def _sleep(self, seconds: float) -> None:
        # Wakes early on stop(), so shutdown never waits out a backoff.
        for _ in range(int(seconds * 10) or 1):
            if self._stopping:
                return
            await asyncio.sleep(min(0.1, seconds))
