"""Privacy and abuse guards for SMS: phone masking for logs, a per-number send limiter.

Both are pure (no I/O, injected clock) so they are trivially testable and safe to call anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_MAINLAND = re.compile(r"^(\+86)?(1\d{2})(\d{4})(\d{4})$")


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


@dataclass
class _Bucket:
    tokens: float
    updated: float


class SmsRateLimiter:
    """Token bucket per recipient: at most ``capacity`` messages in a burst, refilled evenly over ``period``.

    The default (5 per hour) stops a loop or a misconfigured sweep from flooding a citizen, which
    also keeps the hotline inside carriers' anti-spam limits. ``clock`` returns seconds
    (e.g. ``time.monotonic``).
    """

    def __init__(self, clock: Callable[[], float], *, capacity: int = 5, period: float = 3600.0) -> None:
        if capacity < 1 or period <= 0:
            raise ValueError("capacity must be >= 1 and period > 0")
        self.clock = clock
        self.capacity = capacity
        self.rate = capacity / period  # tokens per second
        self._buckets: dict[str, _Bucket] = {}

    def _refill(self, number: str) -> _Bucket:
        now = self.clock()
        bucket = self._buckets.get(number)
        if bucket is None:
            bucket = self._buckets[number] = _Bucket(tokens=float(self.capacity), updated=now)
        else:
            elapsed = max(0.0, now - bucket.updated)  # a clock that steps back never adds tokens
            bucket.tokens = min(float(self.capacity), bucket.tokens + elapsed * self.rate)
            bucket.updated = max(bucket.updated, now)
        return bucket

    def allow(self, number: str) -> bool:
        """Take one token for ``number`` if there is one; False means: do not send now."""
        bucket = self._refill(number)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return True
        return False

    def retry_after(self, number: str) -> float:
        """Seconds until ``number`` may be sent to again (0 if it may be now). Takes no token."""
        bucket = self._refill(number)
        return 0.0 if bucket.tokens >= 1.0 else (1.0 - bucket.tokens) / self.rate

    def prune(self) -> None:
        """Forget numbers whose bucket is full again, so memory does not grow with every recipient."""
        for number in list(self._buckets):
            if self._refill(number).tokens >= self.capacity:
                del self._buckets[number]
