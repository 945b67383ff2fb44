"""Reporting periods: parsing, boundaries across years, labels and errors."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from callcenter.reports.periods import PeriodKind, parse_period, period_of
from worksheet.errors import ValidationError

SH = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 25)


def test_month_from_year_month_and_from_a_day() -> None:
    p = parse_period("month", "2026-11", TODAY)
    assert (p.start, p.end) == (datetime(2026, 11, 1, tzinfo=SH), datetime(2026, 12, 1, tzinfo=SH))
    assert p.label == "2026年11月" and p.key == "2026-11"
    assert parse_period("month", "2026-11-30", TODAY) == p
    dec = parse_period("month", "2026-12", TODAY)
    assert dec.end == datetime(2027, 1, 1, tzinfo=SH) and dec.last == date(2026, 12, 31)
    feb = parse_period("month", "2028-02", TODAY)
    assert feb.last == date(2028, 2, 29)  # leap year


def test_week_is_the_iso_week_monday_first() -> None:
    p = parse_period("week", "2026-11-25", TODAY)
    assert (p.first, p.last) == (date(2026, 11, 23), date(2026, 11, 29))
    assert p.start == datetime(2026, 11, 23, tzinfo=SH) and p.end == datetime(2026, 11, 30, tzinfo=SH)
    assert p.label == "2026年第48周 (11月23日–11月29日)" and p.key == "2026-W48"
    assert parse_period("week", "2026-W48", TODAY) == p
    assert parse_period("week", "2026-11-29", TODAY) == p  # Sunday belongs to the week before Monday 30th


def test_a_week_across_the_new_year_keeps_its_iso_year() -> None:
    p = parse_period("week", "2027-01-01", TODAY)
    assert (p.first, p.last) == (date(2026, 12, 28), date(2027, 1, 3))
    assert p.key == "2026-W53" and p.label == "2026年第53周 (12月28日–2027年1月3日)"
    assert parse_period("week", "2026-W53", TODAY) == p
    w1 = parse_period("week", "2027-W01", TODAY)
    assert w1.first == date(2027, 1, 4) and w1.start == p.end


def test_quarter() -> None:
    q4 = parse_period("quarter", "2026-Q4", TODAY)
    assert (q4.first, q4.last) == (date(2026, 10, 1), date(2026, 12, 31))
    assert q4.end == datetime(2027, 1, 1, tzinfo=SH) and q4.label == "2026年第4季度" and q4.key == "2026-Q4"
    assert parse_period("quarter", "2026-11-23", TODAY) == q4
    q1 = parse_period("quarter", "2027q1", TODAY)
    assert q1.start == q4.end and q1.last == date(2027, 3, 31)


def test_day_and_defaults() -> None:
    d = parse_period("day", "2026-11-23", TODAY)
    assert d.end - d.start == timedelta(days=1) and d.label == "2026年11月23日"
    assert parse_period(None, None, TODAY) == period_of(PeriodKind.MONTH, TODAY)
    assert parse_period("week", "", TODAY).first == date(2026, 11, 23)


def test_half_open_boundaries() -> None:
    p = parse_period("month", "2026-11", TODAY)
    assert p.contains(datetime(2026, 11, 1, 0, 0, tzinfo=SH))
    assert not p.contains(datetime(2026, 12, 1, 0, 0, tzinfo=SH))
    assert p.contains(datetime(2026, 11, 30, 15, 59, 59, tzinfo=ZoneInfo("UTC")))  # 23:59:59 in Shanghai
    assert not p.contains(datetime(2026, 11, 30, 16, 0, tzinfo=ZoneInfo("UTC")))


@pytest.mark.parametrize(("kind", "value", "message"), [
    ("year", "2026", "period must be one of: day, week, month, quarter"),
    ("month", "2026-13", "is not a calendar date"),
    ("day", "2026-02-30", "is not a calendar date"),
    ("day", "2026-11", "does not fit period=day; expected YYYY-MM-DD"),
    ("quarter", "2026-Q5", "does not fit period=quarter"),
    ("week", "2026-W54", "ISO year 2026 has no week 54"),
    ("week", "2026-13-01", "is not a calendar date"),
    ("week", "2025-W53", "ISO year 2025 has no week 53"),
    ("month", "1999-01", "year must be between 2000 and 2100"),
    ("month", "11/2026", "does not fit period=month"),
])
def test_bad_input_is_a_validation_error_that_says_what_is_expected(kind: str, value: str, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_period(kind, value, TODAY)
    assert message in err.value.detail
