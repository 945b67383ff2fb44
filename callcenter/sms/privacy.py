"""Privacy and abuse guards for SMS: phone masking for logs, the per-number send limit.

Both are pure (no I/O; time comes in as an argument), so they are safe to call anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

_MAINLAND = re.compile(r"^(\+86)?(1\d{2})(\d{4})(\d{4})$")
# A mainland mobile, an E.164 number or a landline with its area code, standing alone in a text
# (not inside a longer run of digits, so order numbers and Asterisk's call ids are left alone).
_NUMBER_IN_TEXT = re.compile(r"(?<![\d.])(?:\+\d{8,15}|(?:86)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?![\d.])")


def mask_phone(number: str) -> str:
    """Hide the middle digits, the way Chinese services print numbers: +86138****8000.

    Anything that is not a mainland mobile keeps its first 3 and last 4 characters (or is fully
    masked when too short), so a log line never holds a whole number.
    """
    compact = re.sub(r"[\s-]", "", number)
    m = _MAINLAND.match(compact)
    if m:
        return f"{m.group(1) or ''}{m.group(2)}****{m.group(4)}"
    if len(compact) <= 7:
        return "*" * len(compact)
    return f"{compact[:3]}{'*' * (len(compact) - 7)}{compact[-4:]}"


def mask_numbers(text: str) -> str:
    """``text`` with every phone number in it masked (for log lines, channel names, free text)."""
    return _NUMBER_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), text)


def rate_limit_release(sent: Sequence[datetime], now: datetime, *, capacity: int, period: timedelta) -> datetime | None:
    """None if one more message may go to a number now, else when it may.

    ``sent`` are the times messages went to that number (any order; older ones are ignored). A
    sliding window over the outbox's own rows, so every app node applies the same limit: at most
    ``capacity`` messages per ``period``, which stops a loop or a bad sweep from flooding a citizen
    and keeps the hotline inside carriers' anti-spam limits.
    """
    if capacity < 1 or period <= timedelta(0):
        raise ValueError("capacity must be >= 1 and period > 0")
    recent = sorted(t for t in sent if now - period < t <= now)
    if len(recent) < capacity:
        return None
    return recent[len(recent) - capacity] + period
