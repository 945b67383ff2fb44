"""AMI, Asterisk side: banner, Login (plain / MD5 challenge), a few actions, event broadcast."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable

from callcenter.ami.codec import AmiDecoder, AmiProtocolError, Message
from callcenter.pbxsim import actions
from callcenter.pbxsim.ami_login import login
from callcenter.pbxsim.channel import Channel, Clock
from callcenter.pbxsim.events import Pairs
from callcenter.pbxsim.manager_user import SHIPPED, ManagerUser

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
OriginateHandler = Callable[[Message], Awaitable[bool]]


def encode(pairs: Pairs) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in pairs) + "\r\n").encode("utf-8")


class Conn:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self.writer = writer
        self.logged_in = False
        self.events_on = True
        self.challenge: str | None = None
        self.local = writer.get_extra_info("sockname") or ("127.0.0.1", 0)
        self.remote = writer.get_extra_info("peername") or ("127.0.0.1", 0)

    def send(self, pairs: Pairs) -> None:
        if not self.writer.is_closing():
            self.writer.write(encode(pairs))

    def reply(self, msg: Message, *pairs: tuple[str, str], response: str = "Success") -> None:
        aid = msg.action_id
        self.send([("Response", response), *([("ActionID", aid)] if aid is not None else []), *pairs])


class AmiServer:
    """Accepts AMI clients; ``broadcast()`` sends an event to every logged-in connection whose
    manager user reads it (``user``: its read classes and event filters, as in manager.conf)."""

    def __init__(self, *, username: str, secret: str, clock: Clock, auth_fail_delay: float = 1.0,
                 channels: Callable[[], list[Channel]] = list, on_originate: OriginateHandler | None = None,
                 start_time: float | None = None, processed: Callable[[], int] = lambda: 0,
                 user: ManagerUser = SHIPPED) -> None:
        self.username, self.secret, self.clock = username, secret, clock
        self.user = user
        self.auth_fail_delay = auth_fail_delay
        self.channels = channels
        self.processed = processed  # calls handled so far (CoreStatus CoreProcessedCalls)
        self.on_originate = on_originate
        self.start_time = clock() if start_time is None else start_time
        self.conns: set[Conn] = set()
        self.events: list[Pairs] = []  # every event broadcast, for assertions
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._server = await asyncio.start_server(self._handle, host, port)
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for conn in list(self.conns):
            conn.writer.close()  # the handlers see EOF and end by themselves
        tasks = list(self._tasks)
        _done, pending = await asyncio.wait(tasks, timeout=1.0) if tasks else (set(), set())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def drop_all(self) -> None:
        """Asterisk going down: what each connection was sent goes out, then it closes."""
        for conn in list(self.conns):
            conn.logged_in = False
            conn.writer.close()
        await asyncio.sleep(0)

    def broadcast(self, pairs: Pairs) -> None:
        """Every event the PBX raises (``events`` keeps them all); sent to the sessions that read it."""
        self.events.append(pairs)
        if not self.user.reads(pairs):
            return
        data = encode(pairs)
        for conn in list(self.conns):
            if conn.logged_in and conn.events_on and not conn.writer.is_closing():
                conn.writer.write(data)

    def spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        conn = Conn(writer)
        self.conns.add(conn)
        decoder = AmiDecoder(expect_banner=False)
        try:
            writer.write(BANNER)
            while data := await reader.read(4096):
                for msg in decoder.feed(data):
                    if not await self._dispatch(conn, msg):
                        return
                await writer.drain()
        except (AmiProtocolError, ConnectionError, OSError, asyncio.CancelledError):
            pass  # a connection callback must not raise: asyncio would only log it
        finally:
            self.conns.discard(conn)
            self._tasks.discard(task)
            with contextlib.suppress(Exception):
                await writer.drain()
            writer.close()

    async def _dispatch(self, conn: Conn, msg: Message) -> bool:
        """Handle one action; False closes the connection."""
        name = (msg.get("Action") or "").strip().lower()
        if name == "challenge":
            if (msg.get("AuthType") or "").lower() != "md5":
                conn.reply(msg, ("Message", "Must specify AuthType"), response="Error")
                return True
            conn.challenge = str(random.randint(100_000_000, 999_999_999))
            conn.reply(msg, ("Challenge", conn.challenge))
            return True
        if name == "login":
            return await login(self, conn, msg)
        if name == "logoff":
            conn.reply(msg, ("Message", "Thanks for all the fish."), response="Goodbye")
            return False
        if not conn.logged_in:
            conn.reply(msg, ("Message", "Permission denied"), response="Error")
            return True
        actions.dispatch(self, conn, name, msg)
        return True
