"""Possible duplicates (重复件): flagged for a person to merge, never merged here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .model import OPEN_STATUSES, Status, WorkOrder

DEFAULT_WINDOW = timedelta(days=30)
DEFAULT_THRESHOLD = 0.5
MAX_FLAGGED = 5  # a person reviews these; the most similar few are what helps
_PUNCT = set(" \t\r\n，。！？、；：“”‘’（）()《》【】,.!?;:'\"-—…·")


def _bigrams(text: str) -> set[str]:
    chars = [ch for ch in text.lower() if ch not in _PUNCT]
    if len(chars) < 2:
        return set(chars)
    return {a + b for a, b in zip(chars, chars[1:], strict=False)}


def similarity(a: str, b: str) -> float:
    """Dice coefficient over character bigrams: robust for Chinese without tokenising."""
    return _dice(_bigrams(a), _bigrams(b))


def _dice(x: set[str], y: set[str]) -> float:
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def _digits(phone: str | None) -> str:
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return digits[-11:]  # +86 13800138000 and 13800138000 are the same line


@dataclass(frozen=True, slots=True)
class Candidate:
    """What duplicate detection needs of an order (storage can load just this)."""

    number: str
    status: Status
    enterprise_name: str
    phone: str | None
    text: str
    received_at: datetime


def candidate_of(order: WorkOrder) -> Candidate:
    return Candidate(order.number, order.status, order.enterprise.name, order.enterprise.phone,
                     f"{order.subject} {order.content}", order.received_at)


def possible_duplicates(
    order: WorkOrder,
    candidates: Iterable[Candidate | WorkOrder],
    *,
    window: timedelta = DEFAULT_WINDOW,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[str]:
    """Numbers of open orders from the same enterprise or phone with similar content,
    most similar first (at most MAX_FLAGGED)."""
    me = candidate_of(order)
    name = me.enterprise_name.strip()
    phone = _digits(me.phone)
    mine = _bigrams(me.text)  # once, not once per candidate: a frequent caller has up to 100 of them
    scored = []
    for item in candidates:
        other = candidate_of(item) if isinstance(item, WorkOrder) else item
        if other.number == me.number or other.status not in OPEN_STATUSES | {Status.DRAFT}:
            continue
        if abs(other.received_at - me.received_at) > window:
            continue
        same_party = (name and other.enterprise_name.strip() == name) or (phone and _digits(other.phone) == phone)
        score = _dice(mine, _bigrams(other.text)) if same_party else 0.0
        if score >= threshold:
            scored.append((-score, other.number))
    return [number for _, number in sorted(scored)[:MAX_FLAGGED]]
