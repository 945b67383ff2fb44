"""Group commit: concurrent writes share one transaction, a few statements and one fsync.

SQLite has a single writer and `synchronous=FULL` fsyncs every commit, so one
transaction per request caps writes at the latency of a locked write. Here the
caller that finds nobody writing takes everything queued (up to `max_batch`),
opens one transaction and hands each kind of write its items (`write_many`, a
synchronous function, stores them with a few statements and returns one result per item): new orders
and the confirmations of the orders committed just before share one fsync.
Every caller is answered only after the commit, so a 201 still means durable.
If the batch fails, it is retried item by item, so one bad item never fails the
others. One instance per database (`for_engine`): its writes queue in one line.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.direct import run_write

Item = TypeVar("Item")
Result = TypeVar("Result")
WriteMany = Callable[[Connection, Sequence[Item]], Sequence[Result]]
_SHARED: weakref.WeakKeyDictionary[Any, GroupCommit] = weakref.WeakKeyDictionary()


@dataclass
class _Pending:
    write_many: WriteMany[Any, Any]
    item: Any
    future: asyncio.Future[Any] = field(repr=False)


class GroupCommit:
    def __init__(self, engine: AsyncEngine, max_batch: int = 256) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._pending: list[_Pending] = []
        self._draining = False
        self._drainer: asyncio.Task[None] | None = None  # the loop keeps only a weak reference

    @classmethod
    def for_engine(cls, engine: AsyncEngine) -> GroupCommit:
        """The database's one group commit (one per engine, as the write lock is)."""
        shared = _SHARED.get(engine.sync_engine)
        if shared is None:
            shared = _SHARED[engine.sync_engine] = cls(engine)
        return shared

    async def add(self, write_many: WriteMany[Item, Result], item: Item) -> Result:
        """Store `item` with `write_many(conn, [..., item, ...])` in the next shared commit."""
        loop = asyncio.get_running_loop()
        pending = _Pending(write_many, item, loop.create_future())
        self._pending.append(pending)
        if not self._draining:
            # No long-lived task to manage: whoever finds nobody draining drains, then stops.
            self._draining = True
            self._drainer = loop.create_task(self._drain())
        return await pending.future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
                try:
                    results = await self._commit(batch)
                except Exception:
                    for pending in batch:
                        await self._commit_one(pending)
                else:
                    for pending, result in zip(batch, results, strict=True):
                        if not pending.future.done():
                            pending.future.set_result(result)
        finally:
            self._draining = False

    async def _commit(self, batch: list[_Pending]) -> list[Any]:
        """One transaction; each kind of write gets its items in the order they came."""
        kinds: dict[WriteMany[Any, Any], list[int]] = {}
        for i, pending in enumerate(batch):
            kinds.setdefault(pending.write_many, []).append(i)

        def write_all(conn: Connection) -> list[Any]:
            results: list[Any] = [None] * len(batch)
            for write_many, positions in kinds.items():
                stored = write_many(conn, [batch[i].item for i in positions])
                for i, result in zip(positions, stored, strict=True):
                    results[i] = result
            return results

        # On a SQLite file the whole transaction is one call on the writer thread (see direct.py).
        return await run_write(self.engine, write_all)

    async def _commit_one(self, pending: _Pending) -> None:
        try:
            (result,) = await self._commit([pending])
        except Exception as exc:  # handed to the caller, who raises it
            if not pending.future.done():
                pending.future.set_exception(exc)
            return
        if not pending.future.done():
            pending.future.set_result(result)
