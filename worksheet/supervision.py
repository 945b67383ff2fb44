"""督办: the yellow/red card sweep (RULES.md §5), a pure function of (orders, now).

- Yellow: the unit has not fed back (replied) by its handling deadline.
- Red: still no feedback `red_card_after` (1 working day) after the yellow.
- Per unit and calendar month: 2 yellows → interview (约谈), 2 reds → accountability (问责).

Cards are recorded on the order (an `issue-card` event), so a second sweep at the
same instant finds them and issues nothing new.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from .deadlines import Policy
from .model import Card, CardColor, Status, WorkOrder
from .sla import compute_due

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUPERVISED = frozenset({Status.DISPATCHED, Status.HANDLING, Status.EXTENSION_REQUESTED})
FLAG_FOR = {CardColor.YELLOW: "interview", CardColor.RED: "accountability"}
FLAG_THRESHOLD = 2


@dataclass(frozen=True, slots=True)
class CardIssue:
    number: str
    color: CardColor
    unit: str
    cycle: int
    clock: str
    due: datetime  # the missed deadline (for the notice text)


@dataclass(frozen=True, slots=True)
class UnitFlag:
    unit: str
    month: str  # YYYY-MM, Asia/Shanghai
    flag: str  # interview | accountability
    cards: int


def month_of(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m")


def cards_due(order: WorkOrder, now: datetime, policy: Policy) -> list[CardIssue]:
    if order.status not in SUPERVISED or order.lead_unit is None:
        return []
    clock = order.clock("handling")
    if clock is None:
        return []
    due = policy.due(order.preset, clock).due
    if now <= due:
        return []
    mine = [c for c in order.cards if c.cycle == clock.cycle and c.clock == clock.name]
    yellow = next((c for c in mine if c.color == CardColor.YELLOW), None)
    if yellow is None:
        return [CardIssue(order.number, CardColor.YELLOW, order.lead_unit, clock.cycle, clock.name, due)]
    if any(c.color == CardColor.RED for c in mine):
        return []
    preset = policy.preset(order.preset)
    red_due = compute_due(preset.red_card_after, yellow.issued_at, policy.calendar, preset.end_of_day).due
    if now <= red_due:
        return []
    return [CardIssue(order.number, CardColor.RED, order.lead_unit, clock.cycle, clock.name, red_due)]


def sweep(orders: Iterable[WorkOrder], now: datetime, policy: Policy) -> list[CardIssue]:
    """Cards to issue as of `now`. Already-issued cards are never issued again."""
    issues: list[CardIssue] = []
    for order in orders:
        issues.extend(cards_due(order, now, policy))
    return issues


def unit_flags(cards: Iterable[Card], month: str | None = None) -> list[UnitFlag]:
    """Monthly flags per unit, derived from the cards issued in each month."""
    counts: Counter[tuple[str, str, CardColor]] = Counter()
    for card in cards:
        m = month_of(card.issued_at)
        if month is None or m == month:
            counts[(card.unit, m, card.color)] += 1
    return sorted(
        (UnitFlag(unit, m, FLAG_FOR[color], n) for (unit, m, color), n in counts.items() if n >= FLAG_THRESHOLD),
        key=lambda f: (f.month, f.unit, f.flag),
    )


def new_flags(previous: Iterable[Card], issued: Iterable[Card]) -> list[UnitFlag]:
    """Flags that the newly issued cards raise (a flag is raised once per unit, month and kind)."""
    before = {(f.unit, f.month, f.flag) for f in unit_flags(previous)}
    return [f for f in unit_flags([*previous, *issued]) if (f.unit, f.month, f.flag) not in before]
