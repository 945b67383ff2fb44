"""RobotNotifier: queue group notices in the outbox and send what is due through the webhook.

Queueing needs only the database (an order command is never slowed by WeCom); a notice is queued
only for a target that has a robot, and the key is read again when sending, so a key an admin
replaces takes effect for messages already waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from .outbox import RobotMessage, RobotOutbox
from .robot import RobotError
from .robots import RobotKeys

log = logging.getLogger(__name__)
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
SENDING_TIMEOUT = timedelta(minutes=10)


class RobotPort(Protocol):
    async def send(self, webhook_key: str, body: dict[str, Any]) -> None: ...

    async def close(self) -> None: ...


class RobotNotifier:
    def __init__(self, outbox: RobotOutbox, keys: RobotKeys, client: RobotPort, clock: Callable[[], datetime], *,
                 batch: int = 20) -> None:
        self.outbox = outbox
        self.keys = keys
        self.client = client
        self.clock = clock
        self.batch = batch
        self.wakeup = asyncio.Event()

    async def queue(self, target: str, key: str, body: dict[str, Any], *, order_number: str | None = None) -> bool:
        """Whether a notice was stored now (False: no robot for the target, or stored before)."""
        if await self.keys.get(target) is None:
            return False
        created = await self.outbox.enqueue(key, target, body, self.clock(), order_number=order_number)
        if created:
            self.wakeup.set()
        return created

    async def run_due(self) -> dict[str, int]:
        now = self.clock()
        await self.outbox.release_stale(now, SENDING_TIMEOUT)
        report = {"sent": 0, "retrying": 0, "failed": 0}
        for msg in await self.outbox.claim_due(now, self.batch):
            report[await self._send(msg)] += 1
        return report

    async def _send(self, msg: RobotMessage) -> str:
        key = await self.keys.get(msg.target)
        if key is None:
            await self.outbox.finish(msg, "failed", self.clock(), error="no robot configured for the target")
            return "failed"
        try:
            await self.client.send(key, msg.body)
        except RobotError as exc:
            if exc.retry and msg.attempts <= len(RETRY_DELAYS):
                at = self.clock() + RETRY_DELAYS[msg.attempts - 1]
                await self.outbox.finish(msg, "pending", self.clock(), error=exc.detail, retry_at=at)
                log.info("WeCom notice %s for %s: %s; retry at %s", msg.id, msg.target, exc.detail, at)
                return "retrying"
            await self.outbox.finish(msg, "failed", self.clock(), error=exc.detail)
            log.warning("WeCom notice %s for %s failed: %s", msg.id, msg.target, exc.detail)
            return "failed"
        await self.outbox.finish(msg, "sent", self.clock())
        return "sent"


async def robot_loop(notifier: RobotNotifier, interval: float = 15.0) -> None:
    """Sends at once when woken, and every ``interval`` anyway (retries, other nodes' notices)."""
    while True:
        try:
            await notifier.run_due()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("WeCom send round failed")
        try:
            await asyncio.wait_for(notifier.wakeup.wait(), interval)
        except TimeoutError:
            pass
        notifier.wakeup.clear()
