"""Engine creation with the pragmas that make SQLite safe for a service."""

from __future__ import annotations

import asyncio
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
# SQLite has one writer at a time. Queueing this process's writers on an asyncio
# lock (instead of letting pooled connections race for the file lock) avoids
# "database is locked" under load and keeps the event loop free while waiting.
_WRITE_LOCKS: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """`engine.begin()`, serialised per engine on SQLite."""
    if engine.dialect.name != "sqlite":
        async with engine.begin() as conn:
            yield conn
        return
    lock = _WRITE_LOCKS.setdefault(engine.sync_engine, asyncio.Lock())
    async with lock, engine.begin() as conn:
        yield conn


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str) -> AsyncEngine:
    """An async engine for `sqlite+aiosqlite:///path` or `postgresql+asyncpg://...`."""
    if not is_sqlite(url):
        return create_async_engine(url, pool_size=10, max_overflow=20, pool_timeout=30, pool_pre_ping=True)
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # One pooled connection (and aiosqlite thread) per concurrent reader; writers queue on a lock.
    engine = create_async_engine(url, pool_size=20, max_overflow=20)

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cur.execute(pragma)
        cur.close()

    return engine
