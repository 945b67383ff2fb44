"""The order service: loads, decides through the pure lifecycle, saves.

All time comes from the injected clock, so tests and `--at` commands control it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from callcenter.db.errors import OrderNotFound, VersionConflict
from callcenter.db.orders import OrderRepository
from callcenter.db.units import UnitRepository
from worksheet import commands as c
from worksheet.deadlines import Policy
from worksheet.duplicates import DEFAULT_WINDOW
from worksheet.errors import ValidationError
from worksheet.intake import NewOrder
from worksheet.lifecycle import create_order, handle
from worksheet.model import Actor, Clock, Event, Role, Status, WorkOrder
from worksheet.supervision import SUPERVISED

from .duplicate_check import DuplicateCheck, checked_at_creation, needs_recheck

SHANGHAI = ZoneInfo("Asia/Shanghai")
logger = logging.getLogger(__name__)
SYSTEM = Actor("system", Role.SYSTEM)


class Attachments(Protocol):
    """The file store as orders need it (callcenter.blobs.service.BlobService)."""

    async def check_references(self, ids: Sequence[str], actor: Actor,
                               can_see: Callable[[str], Awaitable[bool]]) -> None: ...

    async def attach(self, ids: Sequence[str], order_number: str) -> None: ...


class HasDeadlines(Protocol):
    """An order, or the part of it its deadlines come from (callcenter.db.orders.DeadlineRow)."""

    number: str
    received_at: datetime
    preset: str

    def clock(self, name: str) -> Clock | None: ...


@dataclass(frozen=True)
class SearchQuery:
    status: list[str] | None = None
    unit: str | None = None
    category: str | None = None
    channel: str | None = None
    card: str | None = None
    text: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    overdue: bool | None = None
    by_deadline: bool = False  # soonest handling deadline first (orders without one last), not newest first
    limit: int = 50
    offset: int = 0


class OrderService:
    def __init__(
        self, orders: OrderRepository, units: UnitRepository, policy: Policy,
        clock: Callable[[], datetime], duplicate_window: timedelta = DEFAULT_WINDOW,
        attachments: Attachments | None = None,
    ) -> None:
        self.orders = orders
        self.attachments = attachments
        self.units = units
        self.policy = policy
        self.clock = clock
        self.duplicate_window = duplicate_window
        self.duplicates = DuplicateCheck(orders, policy, duplicate_window)
        # Called after a command is stored (e.g. scheduling the satisfaction callback); the API
        # answers before they run (wait=False), so a create does not wait for a second commit
        # (its SMS confirmation). Best effort: the order is already saved, and the consumers
        # reconcile on their own schedule.
        self.observers: list[Callable[[WorkOrder], Awaitable[None]]] = []
        self._fan_out: dict[str, asyncio.Task[None]] = {}  # per order: its latest change's observers

    async def create(self, spec: NewOrder, actor: Actor, *, wait: bool = True) -> WorkOrder:
        now = self.clock()
        # Validate and look for duplicates before taking a number, so bad input burns none.
        probe, _ = create_order(spec, "pending", actor, now, self.policy)
        duplicates = await self.duplicates.find(probe) if checked_at_creation(spec.draft, actor) else ()
        await self._check_attachments(probe.attachments, actor)

        def build(number: str) -> tuple[WorkOrder, list[Event]]:
            order, events = create_order(spec, number, actor, now, self.policy)
            if duplicates:
                flag = c.FlagDuplicates(actor=SYSTEM, numbers=duplicates)
                order, more = handle(flag, order, now, self.policy)
                events += more
            return order, events

        order = await self.orders.add_numbered(now.astimezone(SHANGHAI).date(), build)
        if order.attachments and self.attachments is not None:
            await self.attachments.attach(order.attachments, order.number)
        await self._notify(order, "create", wait)
        return order

    async def get(self, number: str, actor: Actor) -> WorkOrder:
        order = await self.orders.get(number)
        if not self.visible(order, actor):
            raise OrderNotFound(number)  # a unit handler must not learn that others' orders exist
        return order

    @staticmethod
    def visible(order: WorkOrder, actor: Actor) -> bool:
        return actor.role != Role.UNIT_HANDLER or (actor.unit is not None and actor.unit in order.units)

    async def act(self, number: str, command: c.Command, expected_version: int | None = None, *,
                  wait: bool = True) -> WorkOrder:
        order = await self.get(number, command.actor)
        if expected_version is not None and expected_version != order.version:
            raise VersionConflict(number, expected_version)
        await self._check_references(command, order)
        now = self.clock()
        new, events = handle(command, order, now, self.policy)
        added = [a for a in new.attachments if a not in order.attachments]
        await self._check_attachments(added, command.actor)
        if needs_recheck(command, order, new):  # a draft filled or edited, or confirmed
            new, events = await self.duplicates.flag(new, events, now)
        await self.orders.save(new, events, expected_version=order.version)
        if added and self.attachments is not None:
            await self.attachments.attach(added, new.number)
        await self._notify(new, command.name, wait)
        return new

    async def _check_attachments(self, ids: Sequence[str], actor: Actor) -> None:
        """Only files this person may see can be attached (never a path: ids of stored files)."""
        if not ids or actor.role == Role.SYSTEM:  # the PBX's recordings and faxes, stored just now
            return
        if self.attachments is None:
            raise ValidationError("this service stores no attachments")

        async def can_see(number: str) -> bool:
            try:
                await self.get(number, actor)
            except OrderNotFound:
                return False
            return True

        await self.attachments.check_references(ids, actor, can_see)

    async def _notify(self, order: WorkOrder, what: str, wait: bool) -> None:
        """Run the observers, one change of an order after the other; `wait=False` (the API's
        requests) answers without waiting for them."""
        if not self.observers:
            return
        previous = self._fan_out.get(order.number)
        task = asyncio.get_running_loop().create_task(self._observe(order, what, previous))
        self._fan_out[order.number] = task
        task.add_done_callback(lambda done: self._fan_out.get(order.number) is done
                               and self._fan_out.pop(order.number))
        if wait:
            await asyncio.wait([task])  # the caller going away does not cancel the fan-out

    async def _observe(self, order: WorkOrder, what: str, previous: asyncio.Task[None] | None) -> None:
        if previous is not None:
            await asyncio.wait([previous])  # this order's earlier change first (its SMS, its notices)
        for observer in self.observers:
            try:
                await observer(order)
            except Exception:
                logger.exception("after %s on %s: an observer failed", what, order.number)

    async def settle(self) -> None:
        """Wait until the observers of every change stored so far have run (shutdown, commands, tests)."""
        while self._fan_out:
            await asyncio.wait(list(self._fan_out.values()))

    async def _check_references(self, command: c.Command, order: WorkOrder) -> None:
        if isinstance(command, c.Dispatch):
            for code in (command.lead_unit, *command.co_units):
                if await self.units.get(code) is None:
                    raise ValidationError(f"unknown unit '{code}'")
        if isinstance(command, c.Merge):
            target = await self.get(command.into, command.actor)
            if target.status in (Status.MERGED,):
                raise ValidationError(f"order {command.into} was itself merged into {target.merged_into}")

    async def search(self, query: SearchQuery, actor: Actor) -> tuple[list[WorkOrder], int]:
        unit = query.unit
        if actor.role == Role.UNIT_HANDLER:
            if unit and unit != actor.unit:
                return [], 0
            unit = actor.unit
        kwargs: dict[str, Any] = dict(
            status=query.status, unit=unit, category=query.category, channel=query.channel, card=query.card,
            text=query.text, received_from=query.received_from, received_to=query.received_to,
        )
        if query.overdue is None and not query.by_deadline:
            return await self.orders.search(**kwargs, limit=query.limit, offset=query.offset)
        # Deadlines are derived on read, so "overdue" and the deadline order are worked out here,
        # not in SQL: scan the candidates' clocks (newest first), then load just the requested page in full.
        if query.overdue:
            supervised = [s.value for s in SUPERVISED]
            kwargs["status"] = [s for s in query.status or supervised if s in supervised]
            if not kwargs["status"]:
                return [], 0  # only supervised orders have a running handling deadline
        rows = await self.orders.deadline_rows(**kwargs)
        now = self.clock()
        if query.overdue is not None:
            rows = [o for o in rows if self.is_overdue(o, now) == query.overdue]
        if query.by_deadline:
            rows.sort(key=self._due_key)
        hits = [o.number for o in rows]
        page = hits[query.offset : query.offset + query.limit]
        return await self.orders.get_many(page), len(hits)

    def _due_key(self, order: HasDeadlines) -> tuple[bool, datetime, datetime, str]:
        """Soonest deadline first; on the same deadline the order received first (first come, first served)."""
        clock = order.clock("handling") or order.clock("redo")
        due = self.policy.due(order.preset, clock).due if clock else datetime.max.replace(tzinfo=UTC)
        return clock is None, due, order.received_at, order.number

    def is_overdue(self, order: HasDeadlines, now: datetime) -> bool:
        clock = order.clock("handling")
        return clock is not None and self.policy.due(order.preset, clock).due < now
