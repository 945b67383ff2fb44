"""The flock that queues SQLite writers across `serve --workers N` processes is never kept by a
writer that was cancelled while waiting for it (a request cut off by the stop, a timeout): its
thread takes the lock all the same, and must hand it back, or the other workers' writes hang."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from callcenter.db.engine import _FileLock


async def test_a_writer_cancelled_while_waiting_does_not_keep_the_lock(tmp_path: Path) -> None:
    path = str(tmp_path / "zhitong.sqlite3-writer.lock")
    holder, waiter = _FileLock(path), _FileLock(path)  # two open files, as in two worker processes
    await holder.acquire()
    waiting = asyncio.ensure_future(waiter.acquire())
    for _ in range(1000):  # until its thread is blocked in flock
        if any("to_thread" in repr(task.get_coro()) for task in asyncio.all_tasks()):
            break
        await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    holder.release()  # the waiter's thread takes the lock now, and must give it back
    await asyncio.wait_for(holder.acquire(), 30)
    holder.release()
