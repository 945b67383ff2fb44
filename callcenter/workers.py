"""The loop every durable queue's worker runs (transcriptions, faxes)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


async def drain_forever(run_once: Callable[[], Awaitable[bool]], wakeup: asyncio.Event, poll: float) -> None:
    """Process items while there are any; then sleep until woken (new work here) or ``poll``
    seconds pass (work another node queued, a retry coming due)."""
    while True:
        if not await run_once():
            wakeup.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), poll)
