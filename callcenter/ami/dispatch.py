"""Ordered, bounded delivery of AMI events to one handler.

panoramisk wraps every ``async def`` callback in its own task, so two events of one call can be
handled out of order and errors vanish into "Task exception was never retrieved". Here one
consumer task takes events strictly in wire order; sync handlers run inline, async ones are
awaited one at a time, and every handler error is logged here, once, without stopping the flow.
When the buffer passes ``high_water`` the connection stops reading (TCP backpressure towards
Asterisk) instead of growing memory or dropping events.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from callcenter.ami.codec import Message

logger = logging.getLogger(__name__)

EventHandler = Callable[[Message], Awaitable[None] | None]


class OrderedDispatcher:
    def __init__(self, handler: EventHandler, *, high_water: int = 10_000, low_water: int = 1_000) -> None:
        self.handler = handler
        self.high_water = high_water
        self.low_water = low_water
        self.handled = 0
        self.errors = 0
        self._queue: deque[Message] = deque()
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._pause: Callable[[], None] | None = None
        self._resume: Callable[[], None] | None = None
        self._paused = False
        self._task: asyncio.Task[None] | None = None

    def attach(self, pause: Callable[[], None], resume: Callable[[], None]) -> None:
        """Flow control of the connection currently feeding this dispatcher."""
        self._pause, self._resume = pause, resume
        if self._paused:
            pause()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="ami-dispatch")

    def put(self, msg: Message) -> None:
        self._queue.append(msg)
        self._idle.clear()
        self._wakeup.set()
        if not self._paused and len(self._queue) >= self.high_water:
            self._paused = True
            if self._pause:
                self._pause()

    @property
    def backlog(self) -> int:
        return len(self._queue)

    async def drained(self) -> None:
        """Wait until every event put so far has been handled."""
        await self._idle.wait()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while True:
            if not self._queue:
                self._idle.set()
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            msg = self._queue.popleft()
            try:
                result = self.handler(msg)
                if inspect.isawaitable(result):
                    await result
            except asyncio.CancelledError:
                raise
            except Exception:
                self.errors += 1
                logger.exception("AMI event handler failed on %s event", msg.name)
            self.handled += 1
            if self._paused and len(self._queue) <= self.low_water:
                self._paused = False
                if self._resume:
                    self._resume()
