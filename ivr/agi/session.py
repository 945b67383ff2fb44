"""One FastAGI call: send commands over the socket Asterisk opened, read their replies.

The wire format lives in ``codec.py``; this module only adds the I/O and the call-state rules
seen in the Asterisk 22 captures (../shared/fixtures/asterisk/README.md):

* after a hangup Asterisk writes a bare ``HANGUP`` line just before the reply to our next
  command, so the reply still has to be read to keep the stream in step;
* commands on a dead channel get ``511``; continuing a script after that only produces dead air
  in the logs, so every later command fails fast with :class:`CallerHungUp` without writing;
* Asterisk never closes the socket itself, so EOF means the peer (or a proxy) went away.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from typing import ClassVar

from ivr.agi.codec import (
    AgiItem,
    AgiProtocolError,
    AgiReply,
    AgiRequest,
    HangupNotice,
    Quoted,
    ReplyReader,
    format_command,
)

DEFAULT_COMMAND_TIMEOUT = 30.0
READ_SIZE = 4096
# GET DATA answers "200 result=<digits>" where digits may carry leading zeros, "*" or "#", so the
# digits are taken from the raw reply text rather than from the parsed integer.
_DIGITS_RE = re.compile(r"result=([0-9*#]*)")


class CallerHungUp(Exception):
    """The channel is gone (HANGUP line, 511 reply, or EOF): stop the script, no fallback needed."""

    error_id: ClassVar[str] = "agi-caller-hung-up"


class AgiCommandTimeout(TimeoutError):
    """Asterisk did not answer a command in time; the late reply is skipped by the next command."""

    error_id: ClassVar[str] = "agi-command-timeout"


class AgiSession:
    """Command/reply exchange for one FastAGI connection. Not safe for concurrent ``command()`` calls."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: AgiRequest,
        *,
        command_timeout: float = DEFAULT_COMMAND_TIMEOUT,
        initial: bytes = b"",
    ) -> None:
        self.request = request
        self.command_timeout = command_timeout
        self.hung_up = False
        self._reader = reader
        self._writer = writer
        self._codec = ReplyReader()
        self._items: deque[AgiItem] = deque()
        # Replies still owed for commands that timed out: they arrive before ours and are dropped.
        self._stale = 0
        # Set once the peer is gone (EOF / write error / 511); HANGUP alone only sets hung_up.
        self._dead = False
        if initial:
            self._feed(initial)

    @property
    def uniqueid(self) -> str:
        return self.request.uniqueid

    # ------------------------------------------------------------------ core

    async def command(self, name: str, *args: str | int, timeout: float | None = None) -> AgiReply:
        """Send one command and return its reply; raises CallerHungUp once the channel is gone."""
        if self.hung_up or self._dead:
            raise CallerHungUp(f"channel {self.request.channel or '?'} hung up; not sending {name}")
        line = format_command(name, *args)  # validates before anything reaches the wire
        try:
            self._writer.write(line)
            await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            self._dead = True
            raise CallerHungUp(f"connection lost while sending {name}: {exc}") from exc
        limit = self.command_timeout if timeout is None else timeout
        try:
            reply = await asyncio.wait_for(self._next_reply(name), limit)
        except TimeoutError:
            # The reply may still come; count it so the next command does not take it as its own.
            self._stale += 1
            raise AgiCommandTimeout(f"no reply to {name} within {limit} s") from None
        if reply.code == 511:
            # "Command Not Permitted on a dead channel": the command did not run.
            self.hung_up = True
            raise CallerHungUp(f"{name}: {reply.code} {reply.text}")
        return reply

    async def _next_reply(self, name: str) -> AgiReply:
        while True:
            while self._items:
                item = self._items.popleft()
                if isinstance(item, HangupNotice):
                    # The reply to the pending command still follows; keep reading for it.
                    self.hung_up = True
                elif self._stale:
                    self._stale -= 1
                else:
                    return item
            try:
                data = await self._reader.read(READ_SIZE)
            except (ConnectionError, OSError) as exc:
                self._dead = True
                raise CallerHungUp(f"connection lost waiting for the reply to {name}: {exc}") from exc
            if not data:
                self._dead = True
                raise CallerHungUp(f"EOF while waiting for the reply to {name}")
            self._feed(data)

    def _feed(self, data: bytes) -> None:
        try:
            self._items.extend(self._codec.feed(data))
        except AgiProtocolError as exc:
            # Keep the good replies that preceded the bad line, then report the bad line.
            self._items.extend(exc.items)
            raise

    # ------------------------------------------------------------------ convenience

    async def answer(self) -> AgiReply:
        return await self.command("ANSWER")

    async def stream_file(self, name: str, escape_digits: str = "", *, timeout: float | None = None) -> AgiReply:
        """Play a prompt; ``result`` is the ASCII code of the escape digit pressed, 0 for none."""
        return await self.command("STREAM FILE", name, escape_digits, timeout=timeout)

    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> str | None:
        """Play ``prompt`` and collect DTMF; returns the digits ("" if none), None on failure."""
        # Leave Asterisk its own digit timeout plus margin before our per-command timeout fires.
        limit = max(self.command_timeout, timeout_ms / 1000 * (max_digits + 1) + 5)
        reply = await self.command("GET DATA", prompt, timeout_ms, max_digits, timeout=limit)
        if reply.result is not None and reply.result < 0:
            return None
        m = _DIGITS_RE.match(reply.text)
        if m is not None and len(m.group(1)) > max_digits:
            # Asterisk stops at max_digits; more is a forged reply (an order "number" of 60 KB).
            raise AgiProtocolError(f"GET DATA asked for {max_digits} digits and got {len(m.group(1))}")
        return m.group(1) if m else None

    async def set_variable(self, name: str, value: str | int) -> AgiReply:
        # Always quoted, as the lab sent it: an empty or spaced value stays one argument.
        return await self.command("SET VARIABLE", name, Quoted(str(value)))

    async def get_variable(self, name: str) -> str | None:
        """The variable's value, or None when it is unset (``200 result=0``)."""
        reply = await self.command("GET VARIABLE", name)
        return reply.data if reply.result == 1 else None

    async def get_full_variable(self, expression: str) -> str | None:
        """Evaluate a dialplan expression such as ``${CALLERID(num)}``."""
        reply = await self.command("GET FULL VARIABLE", expression)
        return reply.data if reply.result == 1 else None

    async def exec(self, app: str, *args: str | int, timeout: float | None = None) -> AgiReply:
        """Run a dialplan application; its arguments are joined with "," as the dialplan does."""
        options = ",".join(str(a) for a in args)
        return await self.command("EXEC", app, *([options] if args else []), timeout=timeout)

    async def verbose(self, message: str, level: int = 1) -> AgiReply:
        return await self.command("VERBOSE", message, level)

    async def hangup(self) -> AgiReply:
        """Hang up the channel; later commands raise CallerHungUp (Asterisk would answer 511)."""
        reply = await self.command("HANGUP")
        self.hung_up = True
        return reply
