"""Engine creation with the pragmas that make SQLite safe for a service."""

from __future__ import annotations

import asyncio
import fcntl
import os
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

SQLITE_PRAGMAS = (
    # WAL lets readers run beside the one writer.
    "PRAGMA journal_mode=WAL",
    # FULL: fsync on every commit, so an order acknowledged with 201 survives a power cut.
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    # Writers queue for the lock instead of failing at once with "database is locked".
    "PRAGMA busy_timeout=30000",
)
# SQLite has one writer at a time. This process's writers queue on an asyncio lock,
# and worker processes (`serve --workers N`) queue on an flock beside the database:
# both hand the lock over at once, where SQLite's own busy handler sleeps and polls
# (tens of milliseconds of tail latency under load).
_WRITE_LOCKS: weakref.WeakKeyDictionary[Any, tuple[asyncio.Lock, _FileLock | None]] = weakref.WeakKeyDictionary()


class _FileLock:
    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        weakref.finalize(self, os.close, self.fd)

    async def acquire(self) -> None:
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting = asyncio.ensure_future(asyncio.to_thread(fcntl.flock, self.fd, fcntl.LOCK_EX))
            try:
                await asyncio.shield(waiting)
            except asyncio.CancelledError:
                # The thread takes the lock all the same (a thread cannot be cancelled): hand it
                # back then, or the sibling workers' writes would wait for it forever.
                waiting.add_done_callback(lambda done: done.cancelled() or done.exception() or self.release())
                raise

    def acquire_blocking(self) -> None:
        """From a thread of its own (callcenter.db.direct's writer)."""
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def release(self) -> None:
        fcntl.flock(self.fd, fcntl.LOCK_UN)


def write_locks(engine: AsyncEngine) -> tuple[asyncio.Lock, _FileLock | None]:
    locks = _WRITE_LOCKS.get(engine.sync_engine)
    if locks is None:
        database = engine.url.database
        file_lock = _FileLock(f"{database}-writer.lock") if database and database != ":memory:" else None
        locks = _WRITE_LOCKS[engine.sync_engine] = (asyncio.Lock(), file_lock)
    return locks


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """`engine.begin()`, serialised across this process and its sibling workers on SQLite."""
    if engine.dialect.name != "sqlite":
        async with engine.begin() as conn:
            yield conn
        return
    lock, file_lock = write_locks(engine)
    async with lock:
        if file_lock:
            await file_lock.acquire()
        try:
            async with engine.begin() as conn:
                yield conn
        finally:
            if file_lock:
                file_lock.release()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    database = make_url(url).database if is_sqlite(url) else None
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


def create_engine(url: str) -> AsyncEngine:
    """An async engine for `sqlite+aiosqlite:///path` or `postgresql+asyncpg://...`."""
    # hide_parameters: a database error's message (logged with its traceback) must not carry the
    # statement's values, callers' numbers among them.
    if not is_sqlite(url):
        return create_async_engine(url, pool_size=10, max_overflow=20, pool_timeout=30, pool_pre_ping=True,
                                   hide_parameters=True)
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # One pooled connection (and aiosqlite thread) per concurrent reader; writers queue on a lock.
    engine = create_async_engine(url, pool_size=20, max_overflow=20, hide_parameters=True)

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cur.execute(pragma)
        cur.close()

    return engine
