"""Runs the pure supervision sweep against stored orders and records the cards."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from callcenter.db.errors import VersionConflict
from callcenter.db.orders import OrderRepository
from callcenter.reports.labels import CARDS
from worksheet import commands as c
from worksheet.deadlines import Policy
from worksheet.lifecycle import handle
from worksheet.model import Actor, Card, Role, WorkOrder
from worksheet.supervision import (
    SHANGHAI,
    SUPERVISED,
    CardIssue,
    UnitFlag,
    month_of,
    new_flags,
    sweep,
    unit_flags,
)

log = logging.getLogger(__name__)
SWEEPER = Actor("supervision-sweep", Role.SYSTEM)
SWEEP_INTERVAL_S = 600.0


@dataclass(frozen=True)
class SweepReport:
    cards: list[CardIssue]
    flags: list[UnitFlag]


class SupervisionService:
    def __init__(self, orders: OrderRepository, policy: Policy, clock: Callable[[], datetime]) -> None:
        self.orders = orders
        self.policy = policy
        self.clock = clock
        # Called with the order after a card is stored (group and liaison notices); best effort,
        # as OrderService's observers: the card is saved whatever they do.
        self.observers: list[Callable[[WorkOrder], Awaitable[None]]] = []

    async def run_forever(self, interval: float = SWEEP_INTERVAL_S) -> None:
        """The automatic sweep (自动发函督办): cards are issued without anyone pressing a button.
        Safe on several nodes at once: a card is recorded once per order, cycle, clock and colour."""
        while True:
            try:
                report = await self.run()
                if report.cards:
                    log.info("supervision sweep: %d card(s), %d flag(s)", len(report.cards), len(report.flags))
            except Exception:
                log.exception("supervision sweep failed; trying again next round")
            await asyncio.sleep(interval)

    async def run(self, at: datetime | None = None) -> SweepReport:
        now = at or self.clock()
        previous = await self.all_cards()
        issued: list[CardIssue] = []
        new_cards: list[Card] = []
        for issue in sweep(await self.orders.open_orders([s.value for s in SUPERVISED]), now, self.policy):
            try:
                await self._record(issue, now)
            except VersionConflict:
                # Someone acted on the order meanwhile (e.g. replied); the next sweep re-decides.
                log.info("order %s changed during the sweep; card deferred", issue.number)
                continue
            issued.append(issue)
            new_cards.append(Card(issue.color, issue.unit, now, issue.cycle, issue.clock))
        return SweepReport(issued, new_flags(previous, new_cards))

    async def _record(self, issue: CardIssue, now: datetime) -> None:
        order = await self.orders.get(issue.number)
        cmd = c.IssueCard(actor=SWEEPER, color=issue.color, clock=issue.clock, cycle=issue.cycle,
                          note=f"{CARDS[issue.color]}督办：办理时限 {issue.due.astimezone(SHANGHAI):%Y-%m-%d %H:%M} 已过")
        new, events = handle(cmd, order, now, self.policy)
        await self.orders.save(new, events, expected_version=order.version)
        for observer in self.observers:
            try:
                await observer(new)
            except Exception:
                log.exception("after the card on %s: an observer failed", new.number)

    async def all_cards(self) -> list[Card]:
        return [card for order in await self.orders.with_cards() for card in order.cards]

    async def month(self, month: str) -> tuple[list[Card], list[UnitFlag]]:
        cards = [card for card in await self.all_cards() if month_of(card.issued_at) == month]
        return cards, unit_flags(cards, month)
