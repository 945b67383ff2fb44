"""Possible duplicates (重复件): flagged for a person to merge, never merged here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from .model import OPEN_STATUSES, Status, WorkOrder

DEFAULT_WINDOW = timedelta(days=30)
DEFAULT_THRESHOLD = 0.5
_PUNCT = set(" \t\r\n，。！？、；：“”‘’（）()《》【】,.!?;:'\"-—…·")


def _bigrams(text: str) -> set[str]:
    chars = [ch for ch in text.lower() if ch not in _PUNCT]
    if len(chars) < 2:
        return set(chars)
    return {a + b for a, b in zip(chars, chars[1:], strict=False)}


def similarity(a: str, b: str) -> float:
    """Dice coefficient over character bigrams: robust for Chinese without tokenising."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def _digits(phone: str | None) -> str:
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return digits[-11:]  # +86 13800138000 and 13800138000 are the same line


def possible_duplicates(
    order: WorkOrder,
    candidates: Iterable[WorkOrder],
    *,
    window: timedelta = DEFAULT_WINDOW,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[str]:
    """Numbers of open orders from the same enterprise or phone with similar content."""
    name = order.enterprise.name.strip()
    phone = _digits(order.enterprise.phone)
    text = f"{order.subject} {order.content}"
    found = []
    for other in candidates:
        if other.number == order.number or other.status not in OPEN_STATUSES | {Status.DRAFT}:
            continue
        if abs(other.received_at - order.received_at) > window:
            continue
        same_party = (name and other.enterprise.name.strip() == name) or (
            phone and _digits(other.enterprise.phone) == phone
        )
        if same_party and similarity(text, f"{other.subject} {other.content}") >= threshold:
            found.append(other.number)
    return found
