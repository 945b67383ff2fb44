"""Which order events text the caller, and with what (pure), plus the observers that queue them.

Each message is keyed by the order and the event's sequence number, so running a trigger again
(a retry, a restart, the reconcile pass) never queues a second message for the same event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from callcenter.db.orders import OrderRepository
from worksheet.callbacks import CallingWindows
from worksheet.deadlines import Policy, expected_answer
from worksheet.model import Event, Status, WorkOrder

from .services import SmsService

if TYPE_CHECKING:
    from callcenter.callbacks.jobs import CallbackJob

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class PlannedSms:
    template: str
    params: dict[str, str]
    key: str


def planned_for_event(order: WorkOrder, event: Event, policy: Policy) -> PlannedSms | None:
    """The confirmation an event earns, if any: 受理 when an order is registered (created as such,
    or a draft confirmed), 已答复 when the unit's reply passed the check, 办结 when it closes."""
    key = f"{order.number}:e{event.seq}"
    if event.to_status == Status.REGISTERED and event.type in ("create", "confirm"):
        due = expected_answer(order, policy, event.at).due.astimezone(SHANGHAI)
        return PlannedSms("order_accepted", {"order_no": order.number, "due_date": f"{due:%Y年%m月%d日}"},
                          f"{key}:order_accepted")
    if event.type == "check" and event.to_status == Status.CALLBACK_PENDING:
        return PlannedSms("order_replied", {"order_no": order.number}, f"{key}:order_replied")
    if event.to_status == Status.CLOSED and event.from_status != Status.CLOSED:
        return PlannedSms("order_closed", {"order_no": order.number}, f"{key}:order_closed")
    return None


def survey_key(order_number: str, cycle: int) -> str:
    return f"{order_number}:c{cycle}:survey"


class SmsTriggers:
    """Observers for OrderService (after each command) and CallbackService (after each job change)."""

    def __init__(self, sms: SmsService, policy: Policy, windows: CallingWindows) -> None:
        self.sms = sms
        self.policy = policy
        self.windows = windows  # the survey SMS, like the calls, goes out in calling hours

    async def on_order_changed(self, order: WorkOrder) -> None:
        # One command can store several events at once (create + flag-duplicates): look at all of them.
        if order.history:
            last = order.history[-1].at
            for event in order.history:
                if event.at == last:
                    await self.on_event(order, event)

    async def on_event(self, order: WorkOrder, event: Event) -> None:
        planned = planned_for_event(order, event, self.policy)
        if planned is not None:
            await self.sms.queue(order.enterprise.phone, planned.template, planned.params, key=planned.key,
                                 order_number=order.number)

    async def on_callback_job(self, job: CallbackJob) -> None:
        """Calls are exhausted: the survey goes out by SMS; a reply of 1/2/3 comes back to us."""
        if job.status == "waiting_sms":
            await self.sms.queue(job.phone, "survey", {"order_no": job.order_number},
                                 key=survey_key(job.order_number, job.cycle), order_number=job.order_number,
                                 not_before=self.windows.next_open(job.updated_at))

    async def reconcile(self, orders: OrderRepository, since: datetime) -> None:
        """Queue what the events since ``since`` should have queued: a node that stopped between
        saving an order and queueing its message loses nothing (the keys make this idempotent)."""
        for order in await orders.changed_since(since):
            for event in order.history:
                if event.at >= since:
                    await self.on_event(order, event)
