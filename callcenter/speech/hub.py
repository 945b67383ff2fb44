"""Fan-out of live transcription results to subscribers (the agent UI's event streams)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

logger = logging.getLogger(__name__)


class LiveHub:
    """Fan-out of live results; a slow subscriber loses its oldest events, never blocks a call."""

    def __init__(self, queue_size: int = 200) -> None:
        self.queue_size = queue_size
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        # In-process listeners that must see every event (no queue to overflow), e.g. live drafts.
        self.taps: list[Callable[[dict[str, Any]], None]] = []

    @property
    def subscribers(self) -> int:
        """How many there are now (open event streams, live transcription listeners)."""
        return len(self._subscribers)

    def publish(self, event: dict[str, Any]) -> None:
        for tap in self.taps:
            try:
                tap(event)
            except Exception:  # a listener's bug must not break the call that published
                logger.exception("live event listener failed")
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.queue_size)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)
