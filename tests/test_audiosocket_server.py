"""The AudioSocket server against hostile and silent peers (a fake engine; the real one is in
test_live_transcription)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from callcenter.audiosocket.codec import AudioSocketDecoder, Kind, encode_frame
from callcenter.speech import live
from callcenter.speech.hub import LiveHub
from callcenter.speech.live import AudioSocketServer


@dataclass
class Result:
    kind: str
    text: str


@dataclass
class FakeTranscript:
    text: str
    status: str = "ok"

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "status": self.status}


@dataclass
class FakeStream:
    fed: bytearray = field(default_factory=bytearray)

    async def feed(self, pcm: bytes) -> list[Result]:
        self.fed += pcm
        return [Result("partial", f"{len(self.fed)} bytes")]

    async def finish(self) -> FakeTranscript:
        return FakeTranscript(f"{len(self.fed)} bytes")

    async def abort(self) -> None:
        return None


class FakeEngine:
    def __init__(self) -> None:
        self.streams: list[FakeStream] = []

    def open_stream(self, sample_rate: int = 8000) -> FakeStream:
        self.streams.append(FakeStream())
        return self.streams[-1]


async def start(**kw: Any) -> tuple[AudioSocketServer, FakeEngine, dict[str, Any], int]:
    engine, finals = FakeEngine(), {}

    async def on_final(call: str, transcript: Any) -> None:
        finals[call] = transcript

    server = AudioSocketServer(engine, LiveHub(), on_final, **kw)
    port = (await server.start("127.0.0.1", 0)).sockets[0].getsockname()[1]
    return server, engine, finals, port


async def test_probes_and_junk_are_rejected_and_the_server_keeps_serving() -> None:
    server, engine, finals, port = await start(first_frame_timeout=0.3)
    try:
        for payload in (b"", b"\x10\x00\x02ab", b"GET / HTTP/1.1\r\n\r\n"):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(payload)
            await writer.drain()
            assert await asyncio.wait_for(reader.read(), 3) == b""  # we close it
            writer.close()
        assert server.rejected == 3 and server.calls == 0 and engine.streams == []
        call = uuid.uuid4()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        audio = bytes(320) * 20
        writer.write(encode_frame(Kind.UUID, call.bytes) + b"".join(encode_frame(Kind.AUDIO, audio[i:i + 320])
                                                                      for i in range(0, len(audio), 320)))
        await writer.drain()
        writer.close()  # Asterisk hangs up by closing TCP
        for _ in range(300):
            if finals:
                break
            await asyncio.sleep(0.01)
        assert finals[str(call)].text == "6400 bytes"  # every byte, including the last partial batch
    finally:
        await server.close()


async def test_a_silent_caller_gets_keepalive_frames_and_an_oversized_frame_ends_the_stream(monkeypatch: Any) -> None:
    monkeypatch.setattr(live, "KEEPALIVE_S", 0.05)
    server, _, finals, port = await start()
    try:
        call = uuid.uuid4()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(encode_frame(Kind.UUID, call.bytes) + encode_frame(Kind.AUDIO, bytes(320)))
        await writer.drain()
        got = AudioSocketDecoder().feed(await asyncio.wait_for(reader.read(4096), 2))
        assert got and got[0].kind is Kind.AUDIO and got[0].payload == bytes(320)  # silence keeps Asterisk on
        writer.write(b"\x10\xff\xff")  # a 65535-byte "frame": out of step
        await writer.drain()
        for _ in range(300):
            if finals:
                break
            await asyncio.sleep(0.01)
        assert finals[str(call)].text == "320 bytes"  # what came before is still transcribed
    finally:
        await server.close()
