"""Observers that queue unit-group notices for order events (OrderService and the supervision
sweep), plus the start-up pass that queues what a node stopped before queueing (keys make it
idempotent), the way the SMS triggers do."""

from __future__ import annotations

from datetime import datetime

from callcenter.db.orders import OrderRepository
from worksheet.model import Event, WorkOrder

from .notices import latest_events, notices_for_event
from .notifier import RobotNotifier
from .robots import unit_target


class RobotTriggers:
    def __init__(self, notifier: RobotNotifier) -> None:
        self.notifier = notifier

    async def on_order_changed(self, order: WorkOrder) -> None:
        for event in latest_events(order):
            await self.on_event(order, event)

    async def on_event(self, order: WorkOrder, event: Event) -> None:
        for notice in notices_for_event(order, event):
            await self.notifier.queue(unit_target(notice.unit), notice.key, notice.body, order_number=order.number)

    async def reconcile(self, orders: OrderRepository, since: datetime) -> None:
        for order in await orders.changed_since(since):
            for event in order.history:
                if event.at >= since:
                    await self.on_event(order, event)
