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
    ("fortnight", "2026", "统计周期“fortnight”无法识别，应为：日报（day）、周报（week）、月报（month）、季报（quarter）、年报（year）"),
    ("month", "2026-13", "不是有效的日历日期"),
    ("day", "2026-02-30", "不是有效的日历日期"),
    ("quarter", "2026-Q5", "日期“2026-Q5”无法识别"),
    ("week", "2026-W54", "2026 年没有第 54 周"),
    ("week", "2026-13-01", "不是有效的日历日期"),
    ("week", "2025-W53", "2025 年没有第 53 周"),
    ("week", "1999-W10", "年份应在 2000 至 2100 之间"),
    ("month", "1999-01", "年份应在 2000 至 2100 之间"),
    ("year", "2101", "年份应在 2000 至 2100 之间"),
    ("month", "11/2026", "日期“11/2026”无法识别，请填写如 2026-11-23"),
])
def test_bad_input_is_a_validation_error_that_says_what_is_expected(kind: str, value: str, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_period(kind, value, TODAY)
    assert message in err.value.detail


def test_year() -> None:
    y = parse_period("year", "2026", TODAY)
    assert (y.first, y.last, y.key, y.label) == (date(2026, 1, 1), date(2026, 12, 31), "2026", "2026年")
    assert y.end == datetime(2027, 1, 1, tzinfo=SH)
    assert parse_period("year", "2026-07-15", TODAY) == y == parse_period("year", "", TODAY)


@pytest.mark.parametrize(("kind", "value", "key"), [
    # A form whose period was switched while its date still names another kind of period: the date
    # stands for its first day, and the period of the new kind containing that day is meant.
    ("quarter", "2026-12", "2026-Q4"),
    ("quarter", "2026-W48", "2026-Q4"),
    ("quarter", "2026", "2026-Q1"),
    ("day", "2026-12", "2026-12-01"),
    ("day", "2026-Q4", "2026-10-01"),
    ("week", "2026-12", "2026-W49"),
    ("month", "2026-Q4", "2026-10"),
    ("month", "2026-W48", "2026-11"),
    ("year", "2026-Q4", "2026"),
    ("year", "2027-W01", "2027"),
])
def test_a_date_of_another_kind_is_normalised_to_the_period_containing_its_first_day(
        kind: str, value: str, key: str) -> None:
    assert parse_period(kind, value, TODAY).key == key
