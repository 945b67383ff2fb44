"""Status updates to the city: queued by order events (after the order is stored, never in the
request that changed it), delivered by ``city_loop`` with retries and growing delays.

A 2xx answer is delivery. 400, 413 and 422 mean the city refuses these bytes: retrying cannot help,
the update is ``failed`` at once (a supervisor can send it again). Anything else — no connection, a
timeout, 401/403 (a secret being rotated), 404, 429, 5xx — is tried again after 30 s, 1 min, 2 min …
at most an hour apart (longer if the city's Retry-After asks), until ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp

from callcenter.db.orders import OrderRepository
from worksheet.model import WorkOrder

from .outbox import CityOutbox, OutboxRow
from .signing import signed_headers
from .updates import updates_for_event

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 30
FIRST_DELAY, MAX_DELAY = timedelta(seconds=30), timedelta(hours=1)
LEASE = timedelta(minutes=2)  # a `sending` row older than this belonged to a node that died
REFUSED = frozenset({400, 413, 422})
UPDATES_PATH = "/v1/status-updates"


@dataclass(frozen=True)
class CityConfig:
    secrets: tuple[str, ...]  # the first signs what we send; any verifies what we receive
    base_url: str  # the city's interface, e.g. https://12345.example.gov.cn/district-api
    timeout_s: float = 10.0

    @property
    def updates_url(self) -> str:
        return self.base_url.rstrip("/") + UPDATES_PATH


def backoff(attempts: int, retry_after: int | None = None) -> timedelta:
    delay = min(FIRST_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)
    return max(delay, timedelta(seconds=min(retry_after or 0, 86400)))


class CityUpdates:
    def __init__(self, outbox: CityOutbox, config: CityConfig, clock: Callable[[], datetime]) -> None:
        self.outbox = outbox
        self.config = config
        self.clock = clock
        self.wakeup = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None

    async def on_order_changed(self, order: WorkOrder) -> None:
        """OrderService observer: the events of the last command (all stored at one instant)."""
        if order.city is None or not order.history:
            return
        last = order.history[-1].at
        updates = [u for e in order.history if e.at == last for u in updates_for_event(order, e)]
        if await self.outbox.enqueue(updates, self.clock()):
            self.wakeup.set()

    async def reconcile(self, orders: OrderRepository, since: datetime) -> None:
        """Queue what events since ``since`` should have queued (a node stopped in between loses none)."""
        for order in await orders.changed_since(since):
            if order.city is not None:
                await self.outbox.enqueue([u for e in order.history if e.at >= since
                                           for u in updates_for_event(order, e)], self.clock())

    async def run_due(self, limit: int = 20) -> int:
        """Deliver what is due; how many were delivered."""
        delivered = 0
        for row in await self.outbox.claim_due(self.clock(), limit, LEASE):
            delivered += await self._deliver(row)
        return delivered

    async def _deliver(self, row: OutboxRow) -> bool:
        body = json.dumps(row.payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {**signed_headers(self.config.secrets[0], self.clock(), body), "X-City-Event-Id": row.event_id}
        retry_after = None
        try:
            async with self._client().post(self.config.updates_url, data=body, headers=headers) as resp:
                status = resp.status
                text = (await resp.content.read(200)).decode(errors="replace")  # enough to say why
                retry_after = int(resp.headers["Retry-After"]) if resp.headers.get("Retry-After", "").isdigit() else None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            status, text = 0, f"{type(exc).__name__}: {exc}"[:200]
        now = self.clock()
        if 200 <= status < 300:
            await self.outbox.delivered(row, now)
            return True
        error = f"HTTP {status}: {text}" if status else text
        if status in REFUSED or row.attempts >= MAX_ATTEMPTS:
            log.warning("city update %s failed for good: %s", row.event_id, error)
            await self.outbox.failed(row, error, now)
        else:
            await self.outbox.retry_at(row, now + backoff(row.attempts, retry_after), error, now)
        return False

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.config.timeout_s))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


async def city_loop(updates: CityUpdates, interval: float = 15.0) -> None:
    """Deliver at once when woken, and every ``interval`` anyway (retries, rows other nodes queued)."""
    while True:
        try:
            await updates.run_due()
        except asyncio.CancelledError:
            raise
        except Exception:  # the database failed in an unexpected way: next round
            log.exception("city update round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(updates.wakeup.wait(), interval)
        updates.wakeup.clear()
