"""The callback scheduler: schedules the survey when an order awaits its callback, dials due jobs
through the AMI dialer, and settles each attempt from OriginateResponse, the IVR survey or timeouts.

The RecordCallback command itself is applied to the order by the IVR desk; this service only keeps
the job (and so the retries, the SMS fallback and the unreachable list) in step.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from callcenter.db.errors import OrderNotFound
from callcenter.orders.services import SYSTEM, OrderService, SearchQuery
from worksheet.callbacks import CallingWindows, Outcome, RetryPolicy, first_call_at, outcome_for_reason
from worksheet.errors import ValidationError
from worksheet.model import Rating, Status, WorkOrder

from .jobs import CallbackJob, CallbackJobRepository

log = logging.getLogger(__name__)

DEFAULT_ANSWERED_TIMEOUT = timedelta(minutes=10)  # an answered survey call that never reported a result


class Dialer(Protocol):
    async def originate(self, *, order_number: str, phone: str, channel_id: str) -> str:
        """Send an async AMI Originate for the survey; returns our ActionID."""
        ...


@dataclass
class RunReport:
    claimed: int = 0
    dialled: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)  # dialer errors (counted as "failed")
    cancelled: list[str] = field(default_factory=list)  # orders no longer awaiting a callback

    def to_json(self) -> dict[str, Any]:
        return {"claimed": self.claimed, "dialled": self.dialled, "failed": self.failed, "cancelled": self.cancelled}


@dataclass
class ExpireReport:
    timed_out: list[dict[str, Any]] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"timed_out": self.timed_out, "unreachable": self.unreachable}


class CallbackService:
    def __init__(
        self, repo: CallbackJobRepository, orders: OrderService, clock: Callable[[], datetime],
        windows: CallingWindows, policy: RetryPolicy, dialer: Dialer | None,
        *, batch: int = 10, answered_timeout: timedelta = DEFAULT_ANSWERED_TIMEOUT,
    ) -> None:
        self.repo = repo
        self.orders = orders
        self.clock = clock
        self.windows = windows
        self.policy = policy
        self.dialer = dialer
        self.batch = batch
        self.answered_timeout = answered_timeout
        # OriginateResponses that arrived before the dial was recorded (same process, so in memory).
        self._early: dict[str, int | str] = {}
        # Called after an attempt is settled (e.g. the SMS survey when calls are exhausted).
        self.job_observers: list[Callable[[CallbackJob], Awaitable[None]]] = []

    # --- scheduling ---------------------------------------------------------------------

    async def schedule_for(self, order: WorkOrder) -> CallbackJob | None:
        """Called when an order enters callback_pending: the first call at the next open window.

        Idempotent per cycle. None (and a warning) when the order has no phone to call.
        """
        if order.status != Status.CALLBACK_PENDING:
            raise ValidationError(f"order {order.number} is {order.status.value}, not awaiting a callback")
        phone = (order.enterprise.phone or "").strip()
        if not phone:
            log.warning("order %s has no phone number: no callback scheduled", order.number)
            return None
        now = self.clock()
        return await self.repo.schedule(order.number, order.cycle, phone, first_call_at(now, self.windows), now)

    async def on_order_changed(self, order: WorkOrder) -> None:
        """OrderService observer: a reply that passed the check puts the order in callback_pending."""
        if order.status == Status.CALLBACK_PENDING:
            await self.schedule_for(order)

    async def reconcile(self) -> int:
        """Schedule every order awaiting a callback that has no job for its cycle (a missed
        observer call, a restart at the wrong moment): nothing waits forever. Idempotent."""
        orders, _ = await self.orders.search(SearchQuery(status=[Status.CALLBACK_PENDING.value], limit=10_000),
                                             SYSTEM)
        scheduled = 0
        for order in orders:
            if await self.repo.for_cycle(order.number, order.cycle) is None and await self.schedule_for(order):
                scheduled += 1
        return scheduled

    # --- dialling -----------------------------------------------------------------------

    async def run_due(self, now: datetime | None = None) -> RunReport:
        """Claim the due jobs (attempt counted) and dial each; a dialer error counts as "failed"."""
        now = now or self.clock()
        report = RunReport()
        if self.dialer is None:
            raise ValidationError("no dialer configured: callbacks need the AMI connection")
        if not self.windows.is_open(now):
            return report  # never dial outside the calling windows (e.g. a late `run-due`)
        while True:
            jobs = await self.repo.claim_due(now, self.batch)
            report.claimed += len(jobs)
            for job in jobs:
                await self._dial(job, now, report)
            if len(jobs) < self.batch:
                return report

    async def _dial(self, job: CallbackJob, now: datetime, report: RunReport) -> None:
        assert self.dialer is not None
        if not await self._still_pending(job):
            await self.repo.cancel(job, now)
            report.cancelled.append(job.order_number)
            return
        channel_id = f"cb-{uuid.uuid4().hex}"
        try:
            action_id = await self.dialer.originate(order_number=job.order_number, phone=job.phone,
                                                    channel_id=channel_id)
        except Exception as exc:  # the AMI link is down, the action was refused, …
            log.warning("callback dial for %s failed: %s", job.order_number, exc)
            settled = await self._finish(job, Outcome.FAILED, now, policy=self.policy, windows=self.windows)
            report.failed.append({"order_number": job.order_number, "error": str(exc),
                                  "status": settled.status if settled else job.status})
            return
        recorded = await self.repo.record_dial(job, action_id, channel_id, now)
        report.dialled.append({"order_number": job.order_number, "attempt": job.attempts, "action_id": action_id})
        if recorded is not None and (early := self._early.pop(action_id, None)) is not None:
            await self.on_originate_result(action_id, early)

    async def _still_pending(self, job: CallbackJob) -> bool:
        try:
            order = await self.orders.get(job.order_number, SYSTEM)
        except OrderNotFound:
            return False
        return order.status == Status.CALLBACK_PENDING and order.cycle == job.cycle

    # --- results --------------------------------------------------------------------------

    async def on_originate_result(self, action_id: str, reason: int | str) -> CallbackJob | None:
        """An OriginateResponse for one of our dials. Answered (4) → the survey runs; any other reason
        settles the attempt. None when the ActionID is not (or no longer) a dialling callback job."""
        outcome = outcome_for_reason(reason)
        job = await self.repo.by_action(action_id)
        now = self.clock()
        if job is None:
            self._early[action_id] = reason  # maybe ours, its dial not recorded yet; keep the newest few
            while len(self._early) > 256:
                self._early.pop(next(iter(self._early)))
            # The dial may have been recorded while we looked: whoever pops the reason settles it
            # (here, or `_dial` right after recording), never both, never neither.
            job = await self.repo.by_action(action_id)
            if job is None or self._early.pop(action_id, None) is None:
                return None
        if outcome is None:
            return await self.repo.mark_answered(job, now)
        return await self._finish(job, outcome, now, policy=self.policy, windows=self.windows)

    async def on_survey_result(self, order_number: str, rating: Rating | str | None) -> CallbackJob | None:
        """The survey's answer (IVR digits already mapped by `survey_rating`, or the SMS reply).

        None on a call → the attempt ends as answered_no_input; None on an SMS survey is ignored
        (the deadline still runs)."""
        job = await self.repo.active_for(order_number)
        if job is None or job.status not in ("dialling", "waiting_sms"):
            return None
        now = self.clock()
        if rating is None:
            if job.status != "dialling":
                return None
            return await self._finish(job, Outcome.ANSWERED_NO_INPUT, now, policy=self.policy,
                                          windows=self.windows)
        return await self._finish(job, Rating(rating), now, policy=self.policy, windows=self.windows)

    async def _finish(self, job: CallbackJob, result: Outcome | Rating | str, now: datetime, *,
                      policy: RetryPolicy, windows: CallingWindows) -> CallbackJob | None:
        settled = await self.repo.finish(job, result, now, policy=policy, windows=windows)
        if settled is not None:
            for observer in self.job_observers:
                try:
                    await observer(settled)
                except Exception:
                    log.exception("after settling the callback for %s: an observer failed", job.order_number)
        return settled

    async def expire(self, now: datetime | None = None) -> ExpireReport:
        """Dials with no OriginateResponse → timeout; answered calls with no survey result →
        answered_no_input; SMS surveys past their deadline → unreachable."""
        now = now or self.clock()
        report = ExpireReport()
        stale = await self.repo.stale_dials(now, self.policy.originate_timeout, answered_timeout=self.answered_timeout)
        for job in stale:
            outcome = Outcome.ANSWERED_NO_INPUT if job.last_outcome == "answered" else Outcome.TIMEOUT
            settled = await self._finish(job, outcome, now, policy=self.policy, windows=self.windows)
            if settled is not None:
                report.timed_out.append({"order_number": job.order_number, "outcome": outcome.value,
                                         "status": settled.status})
        for job in await self.repo.expired_sms(now):
            settled = await self._finish(job, Outcome.SMS_UNANSWERED, now, policy=self.policy,
                                             windows=self.windows)
            if settled is not None:
                report.unreachable.append(job.order_number)
        return report

    async def tick(self, now: datetime | None = None) -> dict[str, Any]:
        """One scheduler round (for a periodic task): expire, then dial what is due."""
        now = now or self.clock()
        expired = await self.expire(now)
        ran = await self.run_due(now) if self.dialer is not None else RunReport()
        return {"expire": expired.to_json(), "run": ran.to_json()}
