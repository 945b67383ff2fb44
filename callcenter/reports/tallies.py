"""The period's ledger (台账) of what happened, per unit and in total, from the orders' event histories.

Flow measures (dispatches, returns, extension requests, replies, callbacks, cards) count *events
whose time falls in the period*, whenever the order was received: a monthly bulletin reports the
month's work, and a return of an order dispatched last month is this month's return. Each event is
attributed to the order's lead unit at that moment (a re-dispatch moves later events to the new
unit; a return keeps the unit that returned it). Closures count once, at the closing event's time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from callcenter.reports.ontime import judge
from callcenter.reports.periods import Period
from worksheet.deadlines import Policy
from worksheet.model import CardColor, Rating, Status, WorkOrder

DISPATCHES = frozenset({"dispatch", "redispatch"})
GOOD = frozenset({Rating.SATISFIED.value, Rating.BASICALLY_SATISFIED.value})


@dataclass(slots=True)
class Tally:
    dispatched: int = 0
    returned: int = 0
    extension_requests: int = 0
    replied: int = 0
    closed: int = 0  # every closure in the period (the unit's: closures of its judged orders)
    judged: int = 0  # closures with unit feedback to judge (按时办结率 denominator)
    on_time: int = 0
    rated: int = 0  # callback results (回访 ratings)
    satisfied: int = 0  # satisfied + basically satisfied
    yellow_cards: int = 0
    red_cards: int = 0

    def to_json(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(slots=True)
class Ledger:
    total: Tally = field(default_factory=Tally)
    units: dict[str, Tally] = field(default_factory=dict)

    def bump(self, unit: str | None, name: str, by: int = 1) -> None:
        """Count in the total, and for `unit` when the event belongs to one."""
        setattr(self.total, name, getattr(self.total, name) + by)
        if unit:
            tally = self.units.setdefault(unit, Tally())
            setattr(tally, name, getattr(tally, name) + by)


def ledger(orders: Iterable[WorkOrder], period: Period, policy: Policy) -> Ledger:
    book = Ledger()
    for order in orders:
        _walk(order, period, book)
        verdict = judge(order, policy)
        if verdict is None or not period.contains(verdict.closed_at):
            continue
        book.bump(None, "closed")
        if verdict.on_time is not None:
            book.bump(verdict.unit, "judged")
            book.bump(verdict.unit, "on_time", int(verdict.on_time))
            if verdict.unit:
                book.units[verdict.unit].closed += 1
    return book


def _walk(order: WorkOrder, period: Period, book: Ledger) -> None:
    lead: str | None = None
    for event in order.history:
        data: dict[str, Any] = event.data
        if event.type in DISPATCHES:
            lead = data["lead_unit"]
        if period.contains(event.at):
            _count(event.type, data, lead, book)
        if event.type == "callback-result" and event.to_status == Status.REGISTERED:
            lead = None  # a direct answer that did not satisfy: the units' work starts afresh


def _count(kind: str, data: dict[str, Any], lead: str | None, book: Ledger) -> None:
    if kind in DISPATCHES:
        book.bump(lead, "dispatched")
    elif kind == "return":
        book.bump(data.get("unit") or lead, "returned")
    elif kind == "request-extension":
        book.bump(lead, "extension_requests")
    elif kind == "reply":
        book.bump(lead, "replied")
    elif kind == "callback-result":
        book.bump(lead, "rated")
        book.bump(lead, "satisfied", int(data.get("rating") in GOOD))
    elif kind == "issue-card":
        color = "red_cards" if data.get("color") == CardColor.RED.value else "yellow_cards"
        book.bump(data.get("unit") or lead, color)
