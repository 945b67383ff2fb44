"""A tiny scripted AMI server for client tests (the full PBX simulator lives in callcenter.pbxsim)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable

from callcenter.ami.codec import AmiDecoder, Message

BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def frame(*pairs: tuple[str, str]) -> bytes:
    return ("".join(f"{k}: {v}\r\n" for k, v in pairs) + "\r\n").encode("utf-8")


class FakeAmi:
    """Answers Challenge/Login/Ping like Asterisk 22; ``on_action`` scripts everything else."""

    def __init__(self, secret: str = "s3cret", on_action: Callable[[FakeAmi, asyncio.StreamWriter, Message],
                                                                   bytes | None] | None = None) -> None:
        self.secret = secret
        self.on_action = on_action
        self.logins = 0
        self.refused = 0
        self.connections = 0
        self.actions: list[Message] = []
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        for w in self.writers:
            w.close()
        if self.server:
            self.server.close()
            await self.server.wait_closed()

    def drop_all(self) -> None:
        for w in self.writers:
            w.transport.abort()
        self.writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        writer.write(BANNER)
        decoder = AmiDecoder(expect_banner=False)
        challenge = "144976821"
        try:
            while data := await reader.read(4096):
                for msg in decoder.feed(data):
                    self.actions.append(msg)
                    aid = ("ActionID", msg.get("ActionID") or "")
                    name = (msg.get("Action") or "").lower()
                    if name == "challenge":
                        writer.write(frame(("Response", "Success"), aid, ("Challenge", challenge)))
                    elif name == "login":
                        want = hashlib.md5((challenge + self.secret).encode()).hexdigest()
                        good = msg.get("Key") == want if msg.get("Key") else msg.get("Secret") == self.secret
                        if not good:
                            self.refused += 1
                            writer.write(frame(("Response", "Error"), aid, ("Message", "Authentication failed")))
                            await writer.drain()
                            writer.close()
                            return
                        self.logins += 1
                        writer.write(frame(("Response", "Success"), aid, ("Message", "Authentication accepted")))
                        writer.write(frame(("Event", "FullyBooted"), ("Privilege", "system,all"),
                                           ("Uptime", "6"), ("LastReload", "6"), ("Status", "Fully Booted")))
                    elif name == "ping":
                        writer.write(frame(("Response", "Success"), aid, ("Ping", "Pong"),
                                           ("Timestamp", "1795435368.000000")))
                    elif self.on_action is not None and (out := self.on_action(self, writer, msg)) is not None:
                        writer.write(out)
                    await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
