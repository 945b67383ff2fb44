"""Phone masking and the per-number SMS rate limiter."""

from __future__ import annotations

import pytest

from callcenter.sms.privacy import SmsRateLimiter, mask_phone


@pytest.mark.parametrize(("number", "masked"), [
    ("+8613800138000", "+86138****8000"),
    ("13800138000", "138****8000"),
    ("138 0013 8000", "138****8000"),
    ("+15005550006", "+15*****0006"),
    ("12345", "*****"),
])
def test_mask_phone(number: str, masked: str) -> None:
    assert mask_phone(number) == masked


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_per_hour_then_blocked() -> None:
    clock = FakeClock()
    limiter = SmsRateLimiter(clock, capacity=5, period=3600)
    assert [limiter.allow("+8613800138000") for _ in range(6)] == [True] * 5 + [False]
    assert limiter.retry_after("+8613800138000") == pytest.approx(720)  # one token per 12 minutes


def test_numbers_are_independent() -> None:
    limiter = SmsRateLimiter(FakeClock(), capacity=1, period=3600)
    assert limiter.allow("+8613800138000")
    assert not limiter.allow("+8613800138000")
    assert limiter.allow("+8613900139000")


def test_tokens_refill_over_time_up_to_capacity() -> None:
    clock = FakeClock()
    limiter = SmsRateLimiter(clock, capacity=5, period=3600)
    for _ in range(5):
        limiter.allow("n")
    clock.now += 719
    assert not limiter.allow("n")
    clock.now += 1
    assert limiter.allow("n")
    clock.now += 10 * 3600  # a long quiet spell never grants more than a full bucket
    assert [limiter.allow("n") for _ in range(6)] == [True] * 5 + [False]


def test_clock_stepping_back_grants_nothing() -> None:
    clock = FakeClock()
    limiter = SmsRateLimiter(clock, capacity=1, period=3600)
    assert limiter.allow("n")
    clock.now -= 7200
    assert not limiter.allow("n")
    clock.now += 7200
    assert not limiter.allow("n")  # time "lost" going back is not counted twice
    clock.now += 3600
    assert limiter.allow("n")


def test_prune_forgets_full_buckets_only() -> None:
    clock = FakeClock()
    limiter = SmsRateLimiter(clock, capacity=2, period=3600)
    limiter.allow("a")
    limiter.allow("b")
    clock.now += 1800  # "a" and "b" both refilled by one token: full again
    limiter.allow("b")
    limiter.prune()
    assert set(limiter._buckets) == {"b"}


@pytest.mark.parametrize(("capacity", "period"), [(0, 3600), (5, 0)])
def test_bad_configuration(capacity: int, period: float) -> None:
    with pytest.raises(ValueError):
        SmsRateLimiter(FakeClock(), capacity=capacity, period=period)
