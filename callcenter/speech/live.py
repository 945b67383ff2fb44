"""Live transcription of calls streamed over AudioSocket, published to subscribers (agent UI).

From the Asterisk 22 capture: the first message is the 16-byte UUID; audio is 8 kHz slin in
20 ms frames, LITTLE-endian; Asterisk sends nothing while the far end sends no media, ends a call
by simply closing TCP (no 0x00 message), and gives up after 2 s without traffic in either
direction, so when the caller's side goes quiet we send a silent frame. We never write while
audio is arriving: a write racing the peer's close makes the kernel reset the connection and
drop audio we have not read yet.

AudioSocket has no authentication and every stream holds a recogniser, so connections are
checked against an optional peer allow-list at accept, at most ``max_streams`` run at once, and a
stream ends (its transcript kept) after ``max_call_s`` however the peer trickles its bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from callcenter.audiosocket.codec import FRAME_BYTES, AudioSocketDecoder, AudioSocketError, Kind, encode_frame
from callcenter.speech.hub import LiveHub
from ivr.peers import RefusalLog
from ivr.peers import refusal as peer_refusal

logger = logging.getLogger(__name__)

FEED_BYTES = 3200  # decode in 200 ms batches, not per 20 ms frame
KEEPALIVE_S = 0.5  # well under Asterisk's 2 s idle limit
SILENCE = encode_frame(Kind.AUDIO, bytes(FRAME_BYTES))
MAX_STREAMS = 100  # concurrent connections; each live call holds a recogniser
MAX_CALL_S = 4 * 3600.0


class LiveStream(Protocol):
    async def feed(self, pcm: bytes) -> list[Any]: ...  # StreamResult(kind, text, words)
    async def finish(self) -> Any: ...  # Transcript
    async def abort(self) -> None: ...


class StreamingEngine(Protocol):
    def open_stream(self, sample_rate: int = 8000) -> LiveStream: ...


OnFinal = Callable[[str, Any], Awaitable[None]]


class AudioSocketServer:
    def __init__(self, engine: StreamingEngine | None, hub: LiveHub, on_final: OnFinal, *,
                 first_frame_timeout: float = 5.0, idle_timeout: float = 60.0, max_call_s: float = MAX_CALL_S,
                 max_streams: int = MAX_STREAMS, allow_peer: Callable[[str], bool] | None = None) -> None:
        self.engine, self.hub, self.on_final = engine, hub, on_final
        self.first_frame_timeout, self.idle_timeout = first_frame_timeout, idle_timeout
        self.max_call_s, self.max_streams, self.allow_peer = max_call_s, max_streams, allow_peer
        self.calls = 0
        self.rejected = 0
        self.refused = 0  # closed at accept: peer not allowed, or max_streams reached
        self._refusals = RefusalLog(logger, "AudioSocket")
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> asyncio.Server:
        self._server = await asyncio.start_server(self._handle, host, port)
        return self._server

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        if (refusal := peer_refusal(peer, self.allow_peer, len(self._tasks), self.max_streams)) is not None:
            self.refused += 1
            self._refusals.note(refusal, peer)
            writer.close()  # Asterisk's AudioSocket() returns at once; the dialplan goes on
            return
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        except (ConnectionError, OSError) as exc:
            logger.debug("AudioSocket peer dropped: %s", exc)
        except Exception:
            logger.exception("AudioSocket session failed")
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError, asyncio.TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        decoder = AudioSocketDecoder()
        frames = await self._first_frames(reader, decoder)
        if not frames or frames[0].kind is not Kind.UUID:
            self.rejected += 1
            logger.info("AudioSocket peer sent no UUID first; closed")
            return
        call = str(frames[0].uuid)
        self.calls += 1
        session = _Session(call, self.engine.open_stream(8000) if self.engine else None, self.hub)
        loop = asyncio.get_running_loop()
        last_rx = [loop.time()]
        deadline = last_rx[0] + self.max_call_s
        keepalive = asyncio.create_task(_keepalive(writer, last_rx))
        inbox: asyncio.Queue[list[Any] | None] = asyncio.Queue()
        receiver = asyncio.create_task(self._receive(call, reader, decoder, inbox, last_rx, deadline))
        try:
            await session.handle(frames[1:])
            while not session.ended and (batch := await inbox.get()) is not None:
                await session.handle(batch)
        finally:
            keepalive.cancel()
            receiver.cancel()
            transcript = await session.finish()
            if transcript is not None:
                await self.on_final(call, transcript)

    async def _receive(self, call: str, reader: asyncio.StreamReader, decoder: AudioSocketDecoder,
                       inbox: asyncio.Queue[list[Any] | None], last_rx: list[float], deadline: float) -> None:
        """Read the socket as fast as audio comes, whatever the decoder's pace. Reading only between
        two decodes left a slow decoder's backlog in the kernel: the keepalive then judged the line
        quiet, wrote, and the peer's close reset the connection, dropping audio already sent."""
        loop = asyncio.get_running_loop()
        try:
            while (left := deadline - loop.time()) > 0:
                try:
                    data = await asyncio.wait_for(reader.read(4096), min(self.idle_timeout, left))
                except TimeoutError:
                    if loop.time() < deadline:
                        logger.info("AudioSocket %s silent for %.0f s; ending the stream", call, self.idle_timeout)
                        return
                    continue
                if not data:
                    return  # Asterisk's way to hang up: a plain TCP close
                last_rx[0] = loop.time()
                try:
                    inbox.put_nowait(decoder.feed(data))
                except AudioSocketError as exc:
                    inbox.put_nowait(exc.frames)  # the audio that came before the broken frame
                    logger.warning("AudioSocket %s: %s; ending the stream", call, exc)
                    return
            logger.warning("AudioSocket %s open for %.0f s; ending the stream", call, self.max_call_s)
        except (ConnectionError, OSError) as exc:
            logger.debug("AudioSocket peer dropped: %s", exc)
        finally:
            inbox.put_nowait(None)

    async def _first_frames(self, reader: asyncio.StreamReader, decoder: AudioSocketDecoder) -> list[Any]:
        async def read() -> list[Any]:
            while True:
                data = await reader.read(4096)
                if not data:
                    return []
                frames = decoder.feed(data)
                if frames:
                    return frames

        try:
            return await asyncio.wait_for(read(), self.first_frame_timeout)
        except (TimeoutError, AudioSocketError):
            return []


class _Session:
    def __init__(self, call: str, stream: LiveStream | None, hub: LiveHub) -> None:
        self.call, self.stream, self.hub = call, stream, hub
        self.ended = False
        self.errors = 0
        self.dtmf: list[str] = []
        self._pending = bytearray()

    async def handle(self, frames: list[Any]) -> None:
        for frame in frames:
            if frame.kind is Kind.AUDIO:
                self._pending += frame.payload
                if len(self._pending) >= FEED_BYTES:
                    await self._feed()
            elif frame.kind is Kind.DTMF:
                self.dtmf.append(frame.digit)
                self.hub.publish({"call": self.call, "kind": "dtmf", "digit": frame.digit})
            elif frame.kind is Kind.HANGUP:
                self.ended = True
            elif frame.kind is Kind.ERROR:
                self.errors += 1
                if self.errors == 1:  # a peer repeating them must not flood the log
                    logger.warning("AudioSocket %s: error frame %s", self.call, frame.payload[:16].hex())

    async def _feed(self) -> None:
        pcm, self._pending = bytes(self._pending), bytearray()
        if self.stream is None:
            return
        for result in await self.stream.feed(pcm):
            self.hub.publish({"call": self.call, "kind": result.kind, "text": result.text})

    async def finish(self) -> Any:
        if self.stream is None:
            return None
        if self._pending:
            await self._feed()
        transcript = await self.stream.finish()
        self.hub.publish({"call": self.call, "kind": "transcript", **transcript.to_json()})
        return transcript


async def _keepalive(writer: asyncio.StreamWriter, last_rx: list[float]) -> None:
    loop = asyncio.get_running_loop()
    with contextlib.suppress(ConnectionError, OSError):
        while not writer.is_closing():
            await asyncio.sleep(KEEPALIVE_S)
            if loop.time() - last_rx[0] >= KEEPALIVE_S:
                writer.write(SILENCE)
                await writer.drain()
