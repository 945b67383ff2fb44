"""Where decoding runs: a thread pool sharing one model, or worker processes each holding one model.

Both expose the same coroutine API to :mod:`callcenter.asr.engine`. Timeouts raise ``TimeoutError``;
a decoder error or a dead worker raises ``RuntimeError``.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from callcenter.asr.decoder import StreamDecoder, decode_pcm, load_model
from callcenter.asr.workers import ProcessPool, Worker


class ThreadBackend:
    """Vosk's C calls go through cffi, which releases the GIL, so threads decode in parallel.

    A hung decode cannot be killed: its caller gets a timeout, the thread stays busy until it returns.
    A file decode is aborted between two chunks when the backend closes, so stopping the service
    never waits for a long recording.
    """

    def __init__(self, model_dir: Path, workers: int, live_dir: Path | None = None) -> None:
        self.model = load_model(model_dir)
        self.live_model = load_model(live_dir) if live_dir else self.model
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="asr")
        self.slots = asyncio.Semaphore(workers)  # the timeout starts when a thread is free, not in the queue
        self.stopping = threading.Event()

    async def _run(self, timeout: float, fn: Any, *args: Any) -> Any:
        async with self.slots:
            future = asyncio.get_running_loop().run_in_executor(self.pool, fn, *args)
            return await asyncio.wait_for(future, timeout)

    async def decode(self, pcm: bytes, sample_rate: int, timeout: float) -> dict[str, Any]:
        return await self._run(timeout, decode_pcm, self.model, pcm, sample_rate, self.stopping)

    async def stream_open(self, sample_rate: int, timeout: float) -> StreamDecoder:
        return await self._run(timeout, StreamDecoder, self.live_model, sample_rate)

    async def stream_feed(self, handle: StreamDecoder, pcm: bytes, timeout: float) -> list[Any]:
        return await self._run(timeout, handle.feed, pcm)

    async def stream_finish(self, handle: StreamDecoder, timeout: float) -> dict[str, Any]:
        return await self._run(timeout, handle.finish)

    async def stream_abort(self, handle: StreamDecoder) -> None:
        return None  # the recognizer is freed with the object

    async def close(self) -> None:
        self.stopping.set()
        self.pool.shutdown(wait=False, cancel_futures=True)


class ProcessBackend:
    """Worker processes (started on first use); a timed-out or crashed worker is killed and replaced."""

    def __init__(self, model_dir: Path, workers: int, live_dir: Path | None = None) -> None:
        self.pool = ProcessPool(model_dir, workers, live_dir)
        self.stream_ids = itertools.count(1)
        self._started: asyncio.Task[None] | None = None

    async def _ensure_started(self) -> None:
        if self._started is None:
            self._started = asyncio.ensure_future(self.pool.start())
        await asyncio.shield(self._started)

    async def decode(self, pcm: bytes, sample_rate: int, timeout: float) -> dict[str, Any]:
        await self._ensure_started()
        return await self.pool.run_file("decode", (pcm, sample_rate), timeout)

    async def stream_open(self, sample_rate: int, timeout: float) -> tuple[Worker, int]:
        await self._ensure_started()
        worker, stream_id = self.pool.pick_stream_worker(), next(self.stream_ids)
        try:
            await self.pool.stream_call(worker, "open", (stream_id, sample_rate), timeout)
        except BaseException:
            worker.streams -= 1
            raise
        return worker, stream_id

    async def stream_feed(self, handle: tuple[Worker, int], pcm: bytes, timeout: float) -> list[Any]:
        return await self.pool.stream_call(handle[0], "feed", (handle[1], pcm), timeout)

    async def stream_finish(self, handle: tuple[Worker, int], timeout: float) -> dict[str, Any]:
        try:
            return await self.pool.stream_call(handle[0], "finish", (handle[1],), timeout)
        finally:
            handle[0].streams -= 1

    async def stream_abort(self, handle: tuple[Worker, int]) -> None:
        handle[0].streams -= 1
        if handle[0].alive:
            await self.pool.stream_call(handle[0], "abort", (handle[1],), 10)

    async def close(self) -> None:
        if self._started is not None:
            await self.pool.close()
