"""Phone masking and the per-number SMS rate limiter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from callcenter.sms.privacy import mask_phone, rate_limit_release


@pytest.mark.parametrize(("number", "masked"), [
    ("+8613800138000", "+86138****8000"),
    ("13800138000", "138****8000"),
    ("138 0013 8000", "138****8000"),
    ("+15005550006", "+15*****0006"),
    ("12345", "*****"),
])
def test_mask_phone(number: str, masked: str) -> None:
    assert mask_phone(number) == masked


T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_five_per_hour_then_released_when_the_oldest_leaves_the_window() -> None:
    sent = [T0 + timedelta(minutes=m) for m in (0, 1, 2, 3)]
    assert rate_limit_release(sent, T0 + timedelta(minutes=5), capacity=5, period=HOUR) is None
    sent.append(T0 + timedelta(minutes=4))
    assert rate_limit_release(sent, T0 + timedelta(minutes=5), capacity=5, period=HOUR) == T0 + HOUR
    assert rate_limit_release(sent, T0 + HOUR + timedelta(seconds=1), capacity=5, period=HOUR) is None


def test_old_and_future_sends_do_not_count() -> None:
    sent = [T0 - 2 * HOUR, T0 - HOUR, T0 + timedelta(minutes=30)]  # the last one is "later than now"
    assert rate_limit_release(sent, T0, capacity=1, period=HOUR) is None


def test_release_is_when_enough_old_sends_expire() -> None:
    sent = [T0 + timedelta(minutes=m) for m in (0, 10, 20)]
    # capacity 2, three in the window: the second-oldest (10) must leave before a new one goes.
    assert rate_limit_release(sent, T0 + timedelta(minutes=30), capacity=2, period=HOUR) == T0 + timedelta(minutes=70)


@pytest.mark.parametrize(("capacity", "period"), [(0, HOUR), (1, timedelta(0)), (1, -HOUR)])
def test_bad_configuration(capacity: int, period: timedelta) -> None:
    with pytest.raises(ValueError):
        rate_limit_release([], T0, capacity=capacity, period=period)
