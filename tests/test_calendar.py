"""WorkingCalendar: official data, 调休 weekends, provisional years, overrides, caching.

Every expected date below was checked by hand against chinese_calendar 1.11
(2025/2026 State Council notices), never computed by the code under test.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from worksheet.calendar import WorkingCalendar
from worksheet.errors import ValidationError

D = date.fromisoformat
CAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        # Spring Festival 2026: 02-15..02-23 off; Sat 02-14 and Sat 02-28 are 调休 working days.
        ("2026-02-13", True), ("2026-02-14", True), ("2026-02-15", False), ("2026-02-23", False),
        ("2026-02-24", True), ("2026-02-28", True), ("2026-03-01", False),
        # National Day 2026: 10-01..10-07 off; Sun 09-20 and Sat 10-10 work.
        ("2026-09-19", False), ("2026-09-20", True), ("2026-10-01", False), ("2026-10-07", False),
        ("2026-10-08", True), ("2026-10-10", True), ("2026-10-11", False),
        # New Year 2026: 01-01..01-03 off, Sun 01-04 works.
        ("2026-01-01", False), ("2026-01-02", False), ("2026-01-04", True),
        # 2025: Spring Festival 01-28..02-04 with Sun 01-26 and Sat 02-08 working; National Day 10-01..10-08.
        ("2025-01-26", True), ("2025-01-28", False), ("2025-02-04", False), ("2025-02-05", True),
        ("2025-02-08", True), ("2025-09-28", True), ("2025-10-08", False), ("2025-10-09", True),
        ("2025-10-11", True),
    ],
)
def test_official_days(day: str, working: bool) -> None:
    assert CAL.is_working_day(D(day)) is working
    assert CAL.is_provisional(D(day)) is False


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2026-02-13", 0, "2026-02-13"),
        ("2026-02-13", 1, "2026-02-14"),  # 调休 Saturday counts
        ("2026-02-14", 1, "2026-02-24"),  # across the whole festival
        ("2026-02-13", 7, "2026-03-02"),  # 14, 24, 25, 26, 27, 28(Sat), 03-02
        ("2026-09-18", 1, "2026-09-20"),  # Sat off, 调休 Sunday works
        ("2026-09-30", 1, "2026-10-08"),
        ("2026-09-30", 3, "2026-10-10"),  # 08, 09, 10(Sat)
        ("2026-11-20", 1, "2026-11-23"),  # plain weekend
        ("2025-12-31", 1, "2026-01-04"),  # New Year's Sunday 调休
    ],
)
def test_add_working_days(start: str, n: int, expected: str) -> None:
    assert CAL.add_working_days(D(start), n) == (D(expected), False)


def test_next_working_day_on_or_after() -> None:
    assert CAL.next_working_day_on_or_after(D("2026-02-14")) == (D("2026-02-14"), False)
    assert CAL.next_working_day_on_or_after(D("2026-02-15")) == (D("2026-02-24"), False)
    assert CAL.next_working_day_on_or_after(D("2026-10-01")) == (D("2026-10-08"), False)
    assert CAL.next_working_day_on_or_after(D("2027-01-02")) == (D("2027-01-04"), True)


def test_years_without_data_are_weekends_only_and_provisional() -> None:
    assert CAL.is_provisional(D("2027-01-04")) is True
    assert CAL.is_working_day(D("2027-01-01")) is True  # a Friday: no holiday data yet
    assert CAL.is_working_day(D("2027-01-02")) is False  # Saturday
    assert CAL.is_provisional(D("2003-06-02")) is True
    assert CAL.add_working_days(D("2026-12-30"), 3) == (D("2027-01-04"), True)  # 31, 01-01, 01-04
    assert CAL.add_working_days(D("2026-12-28"), 2) == (D("2026-12-30"), False)  # never looked into 2027


OVERRIDE = """
[calendar]
covered_years = [2027]
extra_holidays = ["2027-01-01"]

[[workday]]
date = "2027-01-09"
name = "元旦调休"
"""


def test_override_file_adds_days_and_covers_2027() -> None:
    cal = WorkingCalendar.from_override_text(OVERRIDE)
    assert cal.is_working_day(D("2027-01-01")) is False
    assert cal.is_working_day(D("2027-01-09")) is True
    assert cal.is_provisional(D("2027-01-01")) is False
    assert cal.add_working_days(D("2026-12-30"), 3) == (D("2027-01-05"), False)  # 31, 04, 05
    assert cal.add_working_days(D("2027-01-07"), 2) == (D("2027-01-09"), False)  # 08, 09(Sat)
    assert cal.is_provisional(D("2028-01-03")) is True


def test_overrides_win_over_official_data() -> None:
    cal = WorkingCalendar(extra_holidays=[D("2026-02-27")], extra_workdays=[D("2026-02-22")])
    assert cal.is_working_day(D("2026-02-27")) is False
    assert cal.is_working_day(D("2026-02-22")) is True
    assert cal.add_working_days(D("2026-02-14"), 1) == (D("2026-02-22"), False)


def test_overrides_without_covered_years_stay_provisional() -> None:
    cal = WorkingCalendar.from_override_text('[calendar]\nextra_holidays = [2027-01-01]\n')  # TOML date
    assert cal.is_working_day(D("2027-01-01")) is False
    assert cal.is_provisional(D("2027-01-01")) is True


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[calendar]\nextra_holidays = ["2027-02-30"]\n', "2027-02-30"),
        ('[calendar]\nextra_workdays = ["tomorrow"]\n', "tomorrow"),
        ('[[holiday]]\ndate = "2027-13-01"\n', "2027-13-01"),
        ('[calendar]\nextra_holidays = ["2027-01-01"]\nextra_workdays = ["2027-01-01"]\n', "2027-01-01"),
        ('[calendar]\nextra_holiday = ["2027-01-01"]\n', "extra_holiday"),
        ('[calendar]\ncovered_years = ["2027"]\n', "2027"),
        ('[calendar\n', "TOML"),
        ('[[holiday]]\nname = "春节"\n', "date"),
    ],
)
def test_bad_override_text(text: str, named: str) -> None:
    with pytest.raises(ValidationError) as exc:
        WorkingCalendar.from_override_text(text)
    assert named in exc.value.detail


def test_arguments_are_validated() -> None:
    with pytest.raises(ValidationError):
        CAL.add_working_days(D("2026-01-05"), -1)
    with pytest.raises(ValidationError):
        CAL.is_working_day(datetime(2026, 1, 5, 9, 0))  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        WorkingCalendar(extra_holidays=["2026-01-05"])  # type: ignore[list-item]


def test_results_are_memoised() -> None:
    cal = WorkingCalendar()
    first = cal.add_working_days(D("2026-02-13"), 7)
    assert cal.add_working_days(D("2026-02-13"), 7) is first
    assert cal.next_working_day_on_or_after(D("2026-02-15")) is cal.next_working_day_on_or_after(D("2026-02-15"))


def test_overrides_replaced_in_place_forget_cached_answers() -> None:
    from datetime import date

    from worksheet.calendar import WorkingCalendar
    from worksheet.errors import ValidationError

    cal = WorkingCalendar()
    tuesday = date(2026, 11, 24)
    assert cal.is_working_day(tuesday) and cal.add_working_days(date(2026, 11, 23), 1)[0] == tuesday
    cal.set_overrides([tuesday], [])
    assert not cal.is_working_day(tuesday) and cal.add_working_days(date(2026, 11, 23), 1)[0] == date(2026, 11, 25)
    try:
        cal.set_overrides([tuesday], [tuesday])
    except ValidationError as exc:
        assert "both as holiday and as workday" in str(exc)
    else:
        raise AssertionError("a day cannot be both")
    assert not cal.is_working_day(tuesday)  # a rejected change leaves the calendar as it was
    cal.set_overrides([], [])
    assert cal.is_working_day(tuesday)
