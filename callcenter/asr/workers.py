"""Process backend: worker processes that each load the model once and keep their live streams.

Every worker owns a duplex pipe. The parent sends ``(job_id, op, args)``; a reader thread per worker
resolves the matching asyncio future. A file decode goes only to an idle worker (one file at a time
per worker), so killing a worker for a timed-out job only fails that job and the streams pinned to
it. A worker that dies or is killed is replaced with a fresh one.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing as mp
import os
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from callcenter.asr.decoder import StreamDecoder, decode_pcm, load_model


class WorkerDied(RuntimeError):
    """The worker process exited or was killed while the job ran."""


def _worker_main(model_dir: str, conn: Connection, live_dir: str | None = None) -> None:
    model = load_model(Path(model_dir))
    live_model = load_model(Path(live_dir)) if live_dir else model
    streams: dict[int, StreamDecoder] = {}
    conn.send((0, "ready", os.getpid()))
    while True:
        try:
            job_id, op, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if op == "decode":
                result: Any = decode_pcm(model, *args)
            elif op == "open":
                streams[args[0]] = StreamDecoder(live_model, args[1])
                result = None
            elif op == "feed":
                result = streams[args[0]].feed(args[1])
            elif op == "finish":
                result = streams.pop(args[0]).finish()
            elif op == "abort":
                result = streams.pop(args[0], None) is not None
            elif op == "debug-sleep":  # diagnostics for tests: a hung decode
                time.sleep(args[0])
                result = None
            elif op == "debug-exit":  # diagnostics for tests: a crashed worker
                os._exit(3)
            else:
                raise ValueError(f"unknown op {op!r}")
            conn.send((job_id, "ok", result))
        except Exception as exc:  # a job error is reported, the worker keeps serving
            conn.send((job_id, "error", f"{type(exc).__name__}: {exc}"))


class Worker:
    def __init__(self, model_dir: Path, loop: asyncio.AbstractEventLoop, live_dir: Path | None = None) -> None:
        context = mp.get_context("spawn")  # no fork of a threaded parent
        self.conn, child = context.Pipe()
        live = str(live_dir) if live_dir else None
        self.process = context.Process(target=_worker_main, args=(str(model_dir), child, live), daemon=True)
        self.process.start()
        child.close()
        self.loop = loop
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.ready: asyncio.Future[Any] = loop.create_future()
        self.pending[0] = self.ready
        self.busy_with_file = False
        self.streams = 0
        self.alive = True
        self.send_lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True, name=f"asr-worker-{self.process.pid}").start()

    def _resolve(self, job_id: int, status: str, value: Any) -> None:
        future = self.pending.pop(job_id, None)
        if future is None or future.done():
            return
        if status == "error":
            future.set_exception(RuntimeError(value))
        elif status == "died":
            future.set_exception(WorkerDied(value))
        else:
            future.set_result(value)

    def _read(self) -> None:
        while True:
            try:
                job_id, status, value = self.conn.recv()
            except (EOFError, OSError):
                break
            self._to_loop(self._resolve, job_id, "ok" if status == "ready" else status, value)
        self.alive = False
        self.process.join(timeout=1)
        self._to_loop(self._fail_all, f"ASR worker exited (code {self.process.exitcode})")

    def _to_loop(self, callback: Any, *args: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the event loop is already closed: nobody is waiting
            pass

    def _fail_all(self, detail: str) -> None:
        self.alive = False
        for job_id in list(self.pending):
            self._resolve(job_id, "died", detail)

    def _send(self, message: tuple[int, str, tuple[Any, ...]]) -> None:
        with self.send_lock:
            self.conn.send(message)

    async def call(self, job_id: int, op: str, args: tuple[Any, ...]) -> Any:
        if not self.alive:
            raise WorkerDied("ASR worker is not running")
        future: asyncio.Future[Any] = self.loop.create_future()
        self.pending[job_id] = future
        try:
            if len(args) > 1 and isinstance(args[-1], bytes | bytearray) and len(args[-1]) > 65536:
                await asyncio.to_thread(self._send, (job_id, op, args))  # big payloads: don't block the loop
            else:
                self._send((job_id, op, args))
        except (OSError, ValueError) as exc:
            self.pending.pop(job_id, None)
            raise WorkerDied(f"cannot reach ASR worker: {exc}") from exc
        return await future

    def kill(self) -> None:
        self.alive = False
        if self.process.is_alive():
            self.process.kill()


class ProcessPool:
    """``size`` workers; replaces dead ones; files go to idle workers, streams to the least loaded."""

    def __init__(self, model_dir: Path, size: int, live_dir: Path | None = None) -> None:
        self.model_dir = model_dir
        self.live_dir = live_dir
        self.size = size
        self.workers: list[Worker] = []
        self.ids = itertools.count(1)
        self.idle = asyncio.Condition()
        self.closed = False

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.workers = [Worker(self.model_dir, loop, self.live_dir) for _ in range(self.size)]
        await asyncio.gather(*(w.ready for w in self.workers))

    def _replace_dead(self) -> None:
        if self.closed:
            return
        loop = asyncio.get_running_loop()
        self.workers = [w if w.alive else Worker(self.model_dir, loop, self.live_dir)
                        for w in self.workers]

    async def _notify(self) -> None:
        async with self.idle:
            self.idle.notify_all()

    async def run_file(self, op: str, args: tuple[Any, ...], timeout: float) -> Any:
        """Run a one-shot job on an idle worker; on timeout the worker is killed and replaced."""
        async with self.idle:
            while True:
                self._replace_dead()
                free = [w for w in self.workers if not w.busy_with_file and w.alive]
                if free:
                    break
                await self.idle.wait()
            worker = min(free, key=lambda w: w.streams)
            worker.busy_with_file = True
        try:
            return await self._call(worker, op, args, timeout)
        finally:
            worker.busy_with_file = False
            await self._notify()

    def pick_stream_worker(self) -> Worker:
        self._replace_dead()
        worker = min((w for w in self.workers if w.alive), key=lambda w: w.streams)
        worker.streams += 1
        return worker

    async def stream_call(self, worker: Worker, op: str, args: tuple[Any, ...], timeout: float) -> Any:
        return await self._call(worker, op, args, timeout)

    async def _call(self, worker: Worker, op: str, args: tuple[Any, ...], timeout: float) -> Any:
        """One job on ``worker``; a worker that overruns ``timeout`` is killed (and later replaced)."""
        try:
            await asyncio.wait_for(worker.ready, timeout=60)
            return await asyncio.wait_for(worker.call(next(self.ids), op, args), timeout)
        except TimeoutError:
            worker.kill()
            raise

    async def close(self) -> None:
        self.closed = True
        for worker in self.workers:
            worker.kill()
        for worker in self.workers:
            await asyncio.to_thread(worker.process.join, 2)
