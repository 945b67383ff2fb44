"""Group commit: concurrent writes of one kind share one transaction, a few statements and one fsync.

SQLite has a single writer and `synchronous=FULL` fsyncs every commit, so one
transaction per request caps writes at the latency of a locked write. Here the
caller that finds nobody writing takes everything queued (up to `max_batch`) and
hands it to `write_many`, which stores all items with a few statements and
returns one result per item. Every caller is answered only after the commit, so
a 201 still means durable. If the batch fails, it is retried item by item, so
one bad item never fails the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from callcenter.db.engine import write_transaction

Item = TypeVar("Item")
Result = TypeVar("Result")
WriteMany = Callable[[AsyncConnection, Sequence[Any]], Awaitable[Sequence[Any]]]


@dataclass
class _Pending(Generic[Item, Result]):
    item: Item
    future: asyncio.Future[Result] = field(repr=False)


class GroupCommit(Generic[Item, Result]):
    def __init__(self, engine: AsyncEngine, write_many: Callable[[AsyncConnection, Sequence[Item]],
                 Awaitable[Sequence[Result]]], max_batch: int = 128) -> None:
        self.engine = engine
        self.write_many = write_many
        self.max_batch = max_batch
        self._pending: list[_Pending[Item, Result]] = []
        self._draining = False
        self._drainer: asyncio.Task[None] | None = None  # the loop keeps only a weak reference

    async def add(self, item: Item) -> Result:
        loop = asyncio.get_running_loop()
        pending: _Pending[Item, Result] = _Pending(item, loop.create_future())
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
                    results = await self._commit([p.item for p in batch])
                except Exception:
                    for pending in batch:
                        await self._commit_one(pending)
                else:
                    for pending, result in zip(batch, results, strict=True):
                        if not pending.future.done():
                            pending.future.set_result(result)
        finally:
            self._draining = False

    async def _commit(self, items: list[Item]) -> Sequence[Result]:
        async with write_transaction(self.engine) as conn:
            return await self.write_many(conn, items)

    async def _commit_one(self, pending: _Pending[Item, Result]) -> None:
        try:
            (result,) = await self._commit([pending.item])
        except Exception as exc:  # handed to the caller, who raises it
            if not pending.future.done():
                pending.future.set_exception(exc)
            return
        if not pending.future.done():
            pending.future.set_result(result)
