"""A file decode in a thread gives up when the service stops (issue 13, item 5): a thread cannot be
killed, and the interpreter waits for executor threads at exit, so a long recording being decoded
held `zhitong serve` for tens of seconds after SIGTERM."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from callcenter.asr import decoder
from callcenter.asr.backends import ThreadBackend
from callcenter.asr.decoder import DecodeAborted, decode_pcm, load_model
from callcenter.asr.models import DEFAULT_MODEL_NAME

TEN_MINUTES = b"\x00\x10" * 16000 * 600  # 16 kHz: 3000 chunks of 200 ms


@pytest.fixture(scope="module")
def model_dir(shared_dir: Path) -> Path:
    return shared_dir / "asr_models" / DEFAULT_MODEL_NAME


class CountingFeeds:
    """StreamDecoder.feed, counted; ``on_feed(n)`` runs in the decoding thread before feed n."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, on_feed: object = None) -> None:
        self.count = 0
        self.started = threading.Event()
        real = decoder.StreamDecoder.feed

        def feed(this: decoder.StreamDecoder, pcm: bytes, partials: bool = True) -> object:
            self.count += 1
            self.started.set()
            if on_feed is not None:
                on_feed(self.count)  # type: ignore[operator]
            return real(this, pcm, partials=partials)

        monkeypatch.setattr(decoder.StreamDecoder, "feed", feed)


def test_a_decode_stops_at_the_next_chunk_once_told(model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stop = threading.Event()
    feeds = CountingFeeds(monkeypatch, on_feed=lambda n: n == 3 and stop.set())
    with pytest.raises(DecodeAborted):
        decode_pcm(load_model(model_dir), TEN_MINUTES, 16000, stop)
    assert feeds.count == 3  # the chunk in hand is finished, no further one is started


async def test_closing_the_thread_backend_aborts_the_decode_in_flight(
        model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    feeds = CountingFeeds(monkeypatch)
    backend = ThreadBackend(model_dir, 1)
    decoding = asyncio.ensure_future(backend.decode(TEN_MINUTES, 16000, timeout=3600))
    assert await asyncio.to_thread(feeds.started.wait, 60)
    decoding.cancel()  # the service's shutdown: the transcription worker is cancelled first
    await backend.close()
    await asyncio.to_thread(backend.pool.shutdown, True)  # what the interpreter's exit waits for
    assert feeds.count < 3000  # it did not run to the end of the recording
    with pytest.raises(asyncio.CancelledError):
        await decoding
