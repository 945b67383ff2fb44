"""The SQLite file through the stdlib driver directly: one thread hop per unit of work, not per call.

aiosqlite runs every driver call (cursor, execute, fetch, close, commit) in its thread and wakes
the event loop after each: four or five hops per statement, each costing more CPU than a point
read itself (measured: an order GET by number took 2.1 ms of CPU through aiosqlite, 0.25 ms run
inline on a plain sqlite3 connection, 0.68 ms sent to a thread as one call). So on SQLite:

- `read` runs a *bounded* read inline on the event loop: a primary-key or index-range lookup
  capped by LIMIT, which takes a fraction of a millisecond on a warm page cache. WAL readers never
  wait for the writer, so this cannot stall the loop behind a commit. Scans and reports stay on
  the async engine.
- `write` runs a whole transaction in one call on a thread of its own (it fsyncs), holding the
  process's and the sibling workers' write locks (engine.write_transaction's) meanwhile.

The functions given to both take a synchronous `Connection`; on PostgreSQL the same functions run
through `AsyncConnection.run_sync` (`run_read`/`run_write`), so each query is written once.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from callcenter.db.engine import SQLITE_PRAGMAS, sqlite_path, write_locks, write_transaction

P = ParamSpec("P")
T = TypeVar("T")
_DIRECT: weakref.WeakKeyDictionary[Any, DirectSqlite | None] = weakref.WeakKeyDictionary()


class DirectSqlite:
    def __init__(self, path: str) -> None:
        # Two connections: the event loop's reads and the writer thread's transactions.
        self.engine: Engine = create_sync_engine(
            f"sqlite:///{path}", poolclass=QueuePool, pool_size=2, max_overflow=4, hide_parameters=True,
            connect_args={"check_same_thread": False})
        event.listen(self.engine, "connect", _pragmas)
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writer")

    def read(self, fn: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        with self.engine.connect() as conn:
            return fn(conn, *args, **kwargs)

    def _write(self, file_lock: Any, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        if file_lock is not None:
            file_lock.acquire_blocking()
        try:
            with self.engine.begin() as conn:
                return fn(conn, *args)
        finally:
            if file_lock is not None:
                file_lock.release()

    async def write(self, async_engine: AsyncEngine, fn: Callable[..., T], *args: Any) -> T:
        lock, file_lock = write_locks(async_engine)
        async with lock:
            # Cancelling the caller cannot stop the thread: the process lock is held until it ends.
            future = asyncio.get_running_loop().run_in_executor(self._writer, self._write, file_lock, fn, args)
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                await asyncio.wait([future])
                raise

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self.engine.dispose()


def _pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    for pragma in SQLITE_PRAGMAS:
        cur.execute(pragma)
    cur.close()


def direct_for(engine: AsyncEngine) -> DirectSqlite | None:
    """The engine's file through the stdlib driver; None for PostgreSQL or an in-memory database.
    Made on first use, so a forked worker makes its own."""
    key = engine.sync_engine
    if key not in _DIRECT:
        path = sqlite_path(str(engine.url)) if engine.dialect.name == "sqlite" else None
        direct = DirectSqlite(str(path)) if path is not None else None
        _DIRECT[key] = direct
        if direct is not None:
            weakref.finalize(key, direct.close)
    return _DIRECT[key]


def close_direct(engine: AsyncEngine) -> None:
    """Before the engine is disposed: the direct connections and the writer thread."""
    direct = _DIRECT.pop(engine.sync_engine, None)
    if direct is not None:
        direct.close()


async def run_read(engine: AsyncEngine, fn: Callable[Concatenate[Connection, P], T],
                   *args: P.args, **kwargs: P.kwargs) -> T:
    """A bounded read: inline on SQLite, through the async driver elsewhere."""
    direct = direct_for(engine)
    if direct is not None:
        return direct.read(fn, *args, **kwargs)
    async with engine.connect() as conn:
        return await conn.run_sync(fn, *args, **kwargs)


async def run_write(engine: AsyncEngine, fn: Callable[..., T], *args: Any) -> T:
    """`fn(conn, *args)` in one transaction, committed (durable) when this returns."""
    direct = direct_for(engine)
    if direct is not None:
        return await direct.write(engine, fn, *args)
    async with write_transaction(engine) as conn:
        return await conn.run_sync(fn, *args)


async def dispose(engine: AsyncEngine) -> None:
    """Close the engine's direct connections and writer thread, then its async pool."""
    close_direct(engine)
    await engine.dispose()
