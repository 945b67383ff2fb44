"""The SMS sender loop: each wake-up sends what is due; stuck inbound messages are looked for on
the interval only (every created order wakes the sender)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from callcenter.sms.worker import sms_loop


@dataclass
class Report:
    sent: int = 0
    failed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {}


@dataclass
class Sender:
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    rounds: int = 0

    async def run_due(self) -> Report:
        self.rounds += 1
        return Report()


@dataclass
class Inbound:
    looked: int = 0
    requeued: bool = False

    async def retry_stuck(self) -> int:
        self.looked += 1
        return 0


async def test_wake_ups_send_at_once_and_stuck_inbound_is_looked_for_once_an_interval() -> None:
    sender, inbound = Sender(), Inbound()
    task = asyncio.create_task(sms_loop(sender, inbound, interval=3.0))  # type: ignore[arg-type]
    try:
        for woken in range(1, 6):
            while sender.rounds < woken:  # the round before has run and waits again
                await asyncio.sleep(0.005)
            sender.wakeup.set()
        while sender.rounds < 6:
            await asyncio.sleep(0.005)
        assert inbound.looked == 1
        while inbound.looked < 2:  # and again once the interval has passed
            await asyncio.sleep(0.05)
        assert sender.rounds >= 7
        inbound.requeued = True  # a supervisor sent a message back: looked for at the next wake-up
        sender.wakeup.set()
        while inbound.looked < 3:
            await asyncio.sleep(0.005)
        assert not inbound.requeued
    finally:
        task.cancel()
