"""AudioSocket, Asterisk side: UUID frame, 20 ms slin frames, a DTMF frame, then a bare TCP close."""

from __future__ import annotations

import array
import asyncio
import contextlib
import math
import sys
import uuid as _uuid
import wave
from dataclasses import dataclass, field
from pathlib import Path

from callcenter.audiosocket.codec import (
    FRAME_BYTES,
    SAMPLE_RATE,
    AudioSocketDecoder,
    Frame,
    Kind,
    encode_frame,
)


def tone(seconds: float, hz: float = 440.0, amplitude: int = 8000) -> bytes:
    """Signed 16-bit little-endian 8 kHz mono sine, like the lab server's 440 Hz tone."""
    n = int(seconds * SAMPLE_RATE)
    samples = array.array("h", (int(amplitude * math.sin(2 * math.pi * hz * i / SAMPLE_RATE)) for i in range(n)))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def read_wav(path: str | Path) -> bytes:
    """PCM of an 8 kHz 16-bit mono WAV file (the format Asterisk's AudioSocket carries)."""
    with wave.open(str(path), "rb") as w:
        if (w.getframerate(), w.getsampwidth(), w.getnchannels()) != (SAMPLE_RATE, 2, 1):
            raise ValueError(f"{path}: need 8 kHz 16-bit mono, got {w.getframerate()} Hz "
                             f"{8 * w.getsampwidth()}-bit x{w.getnchannels()}")
        return w.readframes(w.getnframes())


@dataclass
class AudioSocketTranscript:
    sent: list[Frame] = field(default_factory=list)
    received: list[Frame] = field(default_factory=list)
    server_closed: bool = False


async def stream_call(host: str, port: int, pcm: bytes, *, call_uuid: _uuid.UUID | None = None,
                      dtmf: str | None = None, dtmf_at_s: float = 0.0, realtime: float = 1.0,
                      linger_s: float = 0.0) -> AudioSocketTranscript:
    """Play ``pcm`` to the server as Asterisk does; ``realtime`` = 1.0 paces 20 ms frames, 0 = no pacing.

    The stream ends with a TCP close and no 0x00 message, exactly as in the capture.
    """
    out = AudioSocketTranscript()
    call_uuid = call_uuid or _uuid.uuid4()
    reader, writer = await asyncio.open_connection(host, port)
    decoder = AudioSocketDecoder()

    async def drain_incoming() -> None:
        while data := await reader.read(4096):
            for frame in decoder.feed(data):
                out.received.append(frame)
                if frame.kind is Kind.HANGUP:
                    out.server_closed = True
        out.server_closed = True

    rx = asyncio.create_task(drain_incoming())

    def send(frame: Frame) -> None:
        out.sent.append(frame)
        writer.write(encode_frame(frame.kind, frame.payload))

    try:
        send(Frame(Kind.UUID, call_uuid.bytes))
        dtmf_frame = int(dtmf_at_s * 1000 / 20) if dtmf else -1
        loop = asyncio.get_running_loop()
        start = loop.time()
        for i, pos in enumerate(range(0, len(pcm) - len(pcm) % 2, FRAME_BYTES)):
            if out.server_closed:
                break
            if i == dtmf_frame:
                send(Frame(Kind.DTMF, dtmf.encode("ascii")))  # type: ignore[union-attr]
            send(Frame(Kind.AUDIO, pcm[pos : pos + FRAME_BYTES]))
            await writer.drain()
            if realtime > 0:
                await asyncio.sleep(max(0.0, start + (i + 1) * 0.02 / realtime - loop.time()))
        if dtmf and dtmf_frame >= len(pcm) // FRAME_BYTES + (1 if len(pcm) % FRAME_BYTES else 0):
            send(Frame(Kind.DTMF, dtmf.encode("ascii")))
        await writer.drain()
        if linger_s:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(rx), linger_s)
    except (ConnectionError, OSError):
        out.server_closed = True
    finally:
        writer.close()  # hangup: just close TCP, no 0x00 frame
        with contextlib.suppress(Exception):
            await writer.wait_closed()
        rx.cancel()
        with contextlib.suppress(BaseException):
            await rx
    return out
