"""The worker processes of `zhitong serve --workers N`: forked after the listening socket is bound,
they share it (the kernel spreads connections), each with its own event loop and database pool.

Start-up is a barrier: a worker that has started (its database pool, background tasks) says so on
a pipe and waits; the parent starts itself (telephony too), waits for every worker, and only then
tells them all to accept connections. So a first answered request means every worker is serving,
and a start-up that fails anywhere (a port of the parent's taken) fails before any request was
accepted, never in the middle of one (a worker killed while serving resets its clients).

Stopping: the parent forwards its SIGTERM/SIGINT to the workers at once (they stop in parallel
with it), then waits for them until `STOP_BOUND_S` after the signal and kills what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import NoReturn

log = logging.getLogger("zhitong")
STOP_BOUND_S = 4.5  # the service stops within 5 s of the signal; the parent itself exits last


class WorkerFailed(Exception):
    error_id = "worker-failed"


@dataclass
class _Child:
    pid: int
    ready: int  # read end: the worker writes one byte once started
    go: int  # write end: the parent writes one byte when all have started


@dataclass
class Workers:
    children: list[_Child] = field(default_factory=list)
    stop_signalled: float | None = None  # time.monotonic() of the forwarded signal

    @property
    def pids(self) -> list[int]:
        return [child.pid for child in self.children]

    async def all_started(self) -> bool:
        """The parent's `before_serving`: every worker started, then all are told to serve."""
        for child in self.children:
            if not await _read_byte(child.ready):
                raise WorkerFailed(f"worker process {child.pid} exited during start-up (see its log above)")
        for child in self.children:
            os.write(child.go, b"g")
        return True

    def forward_stop(self) -> None:
        """The parent's `stopping`: the workers stop in parallel with it."""
        self.stop_signalled = time.monotonic()
        self.signal(signal.SIGTERM)

    def signal(self, signum: int) -> None:
        for pid in self.pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def reap(self) -> None:
        """Wait for the workers (told to stop) until the bound, then kill the rest."""
        if self.stop_signalled is None:  # the parent stopped without a signal (its start-up failed)
            self.forward_stop()
        assert self.stop_signalled is not None
        deadline = self.stop_signalled + STOP_BOUND_S
        left = set(self.pids)
        while left and time.monotonic() < deadline:
            left = {pid for pid in left if not _exited(pid)}
            if left:
                time.sleep(0.05)
        for pid in left:
            log.warning("worker process %d did not stop within %.1f s: killed", pid, STOP_BOUND_S)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        for child in self.children:
            for fd in (child.ready, child.go):
                with contextlib.suppress(OSError):
                    os.close(fd)


def fork_workers(count: int, run_worker: Callable[[Callable[[], Awaitable[bool]]], None]) -> Workers:
    """Fork ``count`` workers; each calls ``run_worker(before_serving)`` and then exits."""
    workers = Workers()
    for _ in range(count):
        ready_r, ready_w = os.pipe()
        go_r, go_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ready_r)
            os.close(go_w)
            for child in workers.children:  # the siblings' pipes are the parent's business
                os.close(child.ready)
                os.close(child.go)
            try:
                run_worker(functools.partial(_started, ready_w, go_r))
            finally:
                exit_at_once(0)
        os.close(ready_w)
        os.close(go_r)
        workers.children.append(_Child(pid, ready_r, go_w))
    return workers


async def _started(ready: int, go: int) -> bool:
    """A worker's `before_serving`: say it started; serve once the parent says go (EOF: the
    parent's start-up failed or it is gone — stop instead)."""
    os.write(ready, b"r")
    return bool(await _read_byte(go))


async def _read_byte(fd: int) -> bytes:
    loop = asyncio.get_running_loop()
    readable = loop.create_future()
    loop.add_reader(fd, lambda: readable.done() or readable.set_result(None))
    try:
        await readable
    finally:
        loop.remove_reader(fd)
    return os.read(fd, 1)


def _exited(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG)[0] != 0
    except ChildProcessError:
        return True


def exit_at_once(code: int) -> NoReturn:
    """End a process whose service has stopped (requests answered, queues committed, pools closed)
    without the interpreter's teardown: freeing hundreds of MB object by object (the speech
    model's graphs above all) took seconds of the stop bound, and the executor threads a cancelled
    job left would be waited for. The OS frees it all at once."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
