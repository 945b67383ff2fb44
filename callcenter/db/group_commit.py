"""Group commit: concurrent new orders share one transaction, a few statements and one fsync.

SQLite has a single writer and `synchronous=FULL` fsyncs every commit, so one
transaction per request caps creates at the latency of a locked write. Here the
caller that finds nobody writing takes everything queued (up to `max_batch`),
reserves that many numbers with one counter update, and inserts all rows with
one statement per table. Every caller is answered only after the commit, so a
201 still means durable. If the batch fails, it is retried item by item, so one
bad item never fails the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from callcenter.db.engine import write_transaction
from worksheet.model import Event, WorkOrder

Build = Callable[[str], tuple[WorkOrder, Sequence[Event]]]
Reserve = Callable[[AsyncConnection, date, int], Awaitable[list[str]]]
InsertMany = Callable[[AsyncConnection, list[tuple[WorkOrder, Sequence[Event]]]], Awaitable[None]]


@dataclass
class _Item:
    day: date
    build: Build
    future: asyncio.Future[WorkOrder] = field(repr=False)


class GroupCommit:
    def __init__(self, engine: AsyncEngine, reserve: Reserve, insert_many: InsertMany, max_batch: int = 128) -> None:
        self.engine = engine
        self.reserve = reserve
        self.insert_many = insert_many
        self.max_batch = max_batch
        self._pending: list[_Item] = []
        self._draining = False
        self._drainer: asyncio.Task[None] | None = None  # the loop keeps only a weak reference

    async def add(self, day: date, build: Build) -> WorkOrder:
        loop = asyncio.get_running_loop()
        item = _Item(day, build, loop.create_future())
        self._pending.append(item)
        if not self._draining:
            # No long-lived task to manage: whoever finds nobody draining drains, then stops.
            self._draining = True
            self._drainer = loop.create_task(self._drain())
        return await item.future

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
                try:
                    await self._commit(batch)
                except Exception:
                    for item in batch:
                        await self._commit_one(item)
        finally:
            self._draining = False

    async def _commit(self, batch: list[_Item]) -> None:
        done: list[tuple[_Item, tuple[WorkOrder, Sequence[Event]]]] = []
        async with write_transaction(self.engine) as conn:
            for day in dict.fromkeys(item.day for item in batch):  # a batch rarely spans midnight
                same_day = [item for item in batch if item.day == day]
                numbers = await self.reserve(conn, day, len(same_day))
                done += [(item, item.build(number)) for item, number in zip(same_day, numbers, strict=True)]
            await self.insert_many(conn, [built for _, built in done])
        for item, (order, _) in done:
            if not item.future.done():
                item.future.set_result(order)

    async def _commit_one(self, item: _Item) -> None:
        try:
            async with write_transaction(self.engine) as conn:
                (number,) = await self.reserve(conn, item.day, 1)
                order, events = item.build(number)
                await self.insert_many(conn, [(order, events)])
        except Exception as exc:  # handed to the caller, who raises it
            if not item.future.done():
                item.future.set_exception(exc)
            return
        if not item.future.done():
            item.future.set_result(order)
