"""The revocation generation, read for every authenticated request, with concurrent reads shared.

A read may only serve callers that arrived before it was issued: one already in flight may have
started before a revocation the newcomer must see. So a caller arriving during a read waits for
the next one, issued when that read ends, together with everyone else who arrived meanwhile. Under
load this makes a handful of reads per database round trip instead of one per request, and each
request still sees every revocation committed before it arrived.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class SharedRead:
    def __init__(self, read: Callable[[], Awaitable[int]]) -> None:
        self._read = read
        self._waiting: asyncio.Future[int] | None = None  # the next read's callers
        self._reader: asyncio.Task[None] | None = None

    async def __call__(self) -> int:
        future = self._waiting
        if future is None:
            future = self._waiting = asyncio.get_running_loop().create_future()
            future.add_done_callback(_retrieve)  # a caller that went away must not leave it unread
            if self._reader is None:
                self._reader = asyncio.create_task(self._read_while_waited_for())
        return await asyncio.shield(future)

    async def _read_while_waited_for(self) -> None:
        try:
            while (future := self._waiting) is not None:
                self._waiting = None  # whoever comes now waits for a read issued after this one
                try:
                    future.set_result(await self._read())
                except Exception as exc:
                    future.set_exception(exc)
        finally:
            self._reader = None


def _retrieve(future: asyncio.Future[int]) -> None:
    if not future.cancelled():
        future.exception()
