"""Observers that queue unit-group notices for order events (OrderService and the supervision
sweep), plus the start-up pass that queues what a node stopped before queueing (keys make it
idempotent), the way the SMS triggers do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from callcenter.db.orders import OrderRepository
from worksheet.model import Event, WorkOrder

from .notices import latest_events, notices_for_event
from .notifier import RobotNotifier
from .robots import unit_target

EventHandler = Callable[[WorkOrder, Event], Awaitable[None]]


class RobotTriggers:
    def __init__(self, notifier: RobotNotifier) -> None:
        self.notifier = notifier

    async def on_order_changed(self, order: WorkOrder) -> None:
        for event in latest_events(order):
            await self.on_event(order, event)

    async def on_event(self, order: WorkOrder, event: Event) -> None:
        for notice in notices_for_event(order, event):
            await self.notifier.queue(unit_target(notice.unit), notice.key, notice.body, order_number=order.number)



async def replay_recent(orders: OrderRepository, since: datetime, *handlers: EventHandler) -> None:
    """Give every handler the events stored since ``since`` (orders loaded once for all of them): what
    a node that stopped between saving an order and queueing its notices did not queue."""
    for order in await orders.changed_since(since):
        for event in order.history:
            if event.at >= since:
                for handler in handlers:
                    await handler(order, event)
