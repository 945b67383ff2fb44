"""Hostile input against the real AudioSocket server (live transcription) on 127.0.0.1.

Whoever reaches the port can stream "audio". For every bad-input class the stream ends or the
connection is closed, the transcript of what was already received is still handed over, nothing
unchecked reaches the agents' screens, and the server keeps serving the next call.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from callcenter.audiosocket.codec import AudioSocketDecoder, AudioSocketError, Kind, encode_frame
from callcenter.speech.hub import LiveHub
from callcenter.speech.live import AudioSocketServer
from ivr.peers import PeerAllowList, parse_networks
from tests.test_audiosocket_server import FakeEngine

SECOND = b"".join(encode_frame(Kind.AUDIO, bytes(320)) for _ in range(50))  # 1 s of 20 ms frames


class Listener:
    def __init__(self, **kw: Any) -> None:
        self.engine, self.hub, self.finals = FakeEngine(), LiveHub(), {}
        self.server = AudioSocketServer(self.engine, self.hub, self._final, **kw)

    async def _final(self, call: str, transcript: Any) -> None:
        self.finals[call] = transcript

    async def start(self) -> int:
        return (await self.server.start("127.0.0.1", 0)).sockets[0].getsockname()[1]

    async def final(self, call: uuid.UUID, timeout: float = 5.0) -> str:
        for _ in range(int(timeout * 100)):
            if str(call) in self.finals:
                return self.finals[str(call)].text
            await asyncio.sleep(0.01)
        raise AssertionError(f"no transcript for {call}: {self.finals}")

    async def idle(self) -> None:
        for _ in range(300):
            if not self.server._tasks:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("AudioSocket connections still open")


@pytest.fixture
async def listener() -> AsyncIterator[tuple[Listener, int]]:
    lis = Listener(first_frame_timeout=0.3)
    port = await lis.start()
    yield lis, port
    await lis.server.close()


async def stream(port: int, data: bytes, *, abort: bool = False) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    if abort:
        writer.transport.abort()  # reset, mid-frame: the PBX died
    else:
        writer.close()  # Asterisk hangs up by closing TCP


async def still_serves(lis: Listener, port: int) -> None:
    call = uuid.uuid4()
    await stream(port, encode_frame(Kind.UUID, call.bytes) + SECOND)
    assert await lis.final(call) == "16000 bytes"


async def closed_by_server(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 3)
    except (ConnectionError, OSError):
        return b""
    finally:
        writer.close()


@pytest.mark.parametrize("name, data", [
    ("nothing at all", b""),
    ("HTTP probe", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("audio before the UUID", encode_frame(Kind.AUDIO, bytes(320))),
    ("unknown kind", b"\x42\x00\x01x"),
    ("absurd length", b"\x01\xff\xff" + bytes(100)),
    ("truncated UUID", b"\x01\x00\x10" + bytes(7)),
    ("UUID of the wrong size", b"\x01\x00\x04abcd"),
])
async def test_no_stream_opens_without_a_proper_uuid_first(listener, name, data) -> None:
    lis, port = listener
    assert await closed_by_server(port, data) == b"", name
    await lis.idle()
    assert lis.server.rejected == 1 and lis.server.calls == 0 and lis.engine.streams == [], name
    await still_serves(lis, port)


@pytest.mark.parametrize("name, tail", [
    ("unknown kind", b"\x42\x00\x02ab" + SECOND),
    ("oversized frame", b"\x10\xff\xff" + bytes(1000) + SECOND),
    ("odd audio length", b"\x10\x00\x03abc" + SECOND),
    ("two-byte DTMF", b"\x03\x00\x0212" + SECOND),
    ("truncated frame, then close", b"\x10\x01\x40" + bytes(100)),
])
async def test_a_broken_frame_mid_call_ends_the_stream_and_keeps_the_transcript(listener, name, tail) -> None:
    lis, port = listener
    call = uuid.uuid4()
    # One write: the broken frame arrives in the same read as the good second before it.
    await stream(port, encode_frame(Kind.UUID, call.bytes) + SECOND + tail)
    assert await lis.final(call) == "16000 bytes", name  # the second before the break, not after
    await lis.idle()
    await still_serves(lis, port)


async def test_an_abrupt_reset_mid_frame_keeps_what_was_received(listener) -> None:
    lis, port = listener
    call = uuid.uuid4()
    await stream(port, encode_frame(Kind.UUID, call.bytes) + SECOND + b"\x10\x01\x40" + bytes(33), abort=True)
    assert await lis.final(call) == "16000 bytes"
    await still_serves(lis, port)


@pytest.mark.parametrize("digit", [b"<", b"\n", b"\x00", b"\xff"])
async def test_a_dtmf_frame_that_is_no_key_never_reaches_the_agents(listener, digit, caplog) -> None:
    lis, port = listener
    call = uuid.uuid4()
    async with lis.hub.subscribe() as events:
        with caplog.at_level(logging.WARNING):
            await stream(port, encode_frame(Kind.UUID, call.bytes) + SECOND
                         + encode_frame(Kind.DTMF, b"5") + b"\x03\x00\x01" + digit + SECOND)
            assert await lis.final(call) == "16000 bytes"
        published = []
        while not events.empty():
            published.append(events.get_nowait())
    assert [e["digit"] for e in published if e.get("kind") == "dtmf"] == ["5"]  # the real key only
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # a warning, not a crash
    with pytest.raises(AudioSocketError) as err:
        AudioSocketDecoder().feed(b"\x03\x00\x01" + digit)
    assert err.value.error_id == "audiosocket-bad-dtmf"
    await still_serves(lis, port)


async def test_a_flood_of_error_frames_is_logged_once_and_cut_short(listener, caplog) -> None:
    lis, port = listener
    call = uuid.uuid4()
    junk = encode_frame(Kind.ERROR, b"\xee" * 4000) * 500
    with caplog.at_level(logging.WARNING, logger="callcenter.speech.live"):
        await stream(port, encode_frame(Kind.UUID, call.bytes) + junk + SECOND)
        assert await lis.final(call) == "16000 bytes"
    lines = [r.getMessage() for r in caplog.records if "error frame" in r.getMessage()]
    assert len(lines) == 1 and len(lines[0]) < 200


async def test_a_slowloris_stream_ends_at_the_call_limit_with_its_transcript() -> None:
    lis = Listener(idle_timeout=0.5, max_call_s=1.0)
    port = await lis.start()
    try:
        call = uuid.uuid4()
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(encode_frame(Kind.UUID, call.bytes) + encode_frame(Kind.AUDIO, bytes(320)))
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises((ConnectionError, OSError, AssertionError)):
            for _ in range(60):  # 2 bytes every 0.2 s: never idle, never a whole frame
                if str(call) in lis.finals:
                    raise AssertionError("ended")
                writer.write(b"\x00")
                await writer.drain()
                await asyncio.sleep(0.2)
        assert await lis.final(call) == "320 bytes" and loop.time() - t0 < 3
        writer.close()
        await still_serves(lis, port)
    finally:
        await lis.server.close()


async def test_streams_over_the_limit_are_refused_at_accept_and_service_resumes() -> None:
    lis = Listener(max_streams=3)
    port = await lis.start()
    try:
        held = []
        for _ in range(3):
            call = uuid.uuid4()
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(encode_frame(Kind.UUID, call.bytes))
            held.append(writer)
        for _ in range(100):
            if len(lis.engine.streams) == 3:
                break
            await asyncio.sleep(0.01)
        for _ in range(30):
            assert await closed_by_server(port, encode_frame(Kind.UUID, uuid.uuid4().bytes) + SECOND) == b""
        assert lis.server.refused == 30 and len(lis.engine.streams) == 3  # no recogniser for the flood
        for writer in held:
            writer.close()
        await lis.idle()
        await still_serves(lis, port)
    finally:
        await lis.server.close()


async def test_a_peer_outside_the_allow_list_is_refused_before_anything_is_read() -> None:
    lis = Listener(allow_peer=PeerAllowList(parse_networks("10.20.0.0/16")))
    port = await lis.start()
    try:
        for _ in range(5):
            assert await closed_by_server(port, encode_frame(Kind.UUID, uuid.uuid4().bytes) + SECOND) == b""
        assert lis.server.refused == 5 and lis.server.calls == 0 and lis.engine.streams == []
    finally:
        await lis.server.close()
    lis = Listener(allow_peer=PeerAllowList(parse_networks("127.0.0.1")))
    port = await lis.start()
    try:
        await still_serves(lis, port)
    finally:
        await lis.server.close()
