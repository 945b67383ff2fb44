"""The deadline rule (worksheet.sla): working days, calendar days, hours, immediate, ranges.

Expected values are hand-checked literals (see tests/test_calendar.py for the
calendar facts they rest on).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.policy import load_builtin_presets
from worksheet.calendar import WorkingCalendar
from worksheet.errors import UnknownTimeLimit, ValidationError
from worksheet.sla import Deadline, SlaPreset, TimeLimit, compute_due

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar()
PRESETS = load_builtin_presets()
YC, LF, MY, FC = (PRESETS[n] for n in ("yicheng-2021", "langfang-2019", "mianyang-962299", "fucheng-2024"))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def due(preset: SlaPreset, kind: str, start: str, amount: int | None = None, cal: WorkingCalendar = CAL) -> Deadline:
    return preset.due(kind, at(start), cal, amount)


@pytest.mark.parametrize(
    ("kind", "start", "expected"),
    [
        ("resolve", "2026-02-13T10:00", "2026-03-02T23:59:59"),  # 调休 Saturdays 02-14 and 02-28 count
        ("answer", "2026-02-16T10:00", "2026-02-26T23:59:59"),  # receipt on a holiday → counts from 02-24
        ("contact", "2026-02-14T10:00", "2026-02-24T23:59:59"),  # receipt on a 调休 Saturday: a working day
        ("answer", "2026-11-20T21:30", "2026-11-24T23:59:59"),  # Friday evening: Mon, Tue
        ("contact", "2026-11-21T10:00", "2026-11-24T23:59:59"),  # Saturday → Monday's receipt
        ("resolve", "2026-10-01T09:00", "2026-10-16T23:59:59"),  # from 10-08: 09,10(Sat),12,13,14,15,16
        ("contact", "2026-09-18T17:00", "2026-09-20T23:59:59"),  # 调休 Sunday
        ("extended", "2026-02-13T10:00", "2026-03-11T23:59:59"),  # ...03-02 (7), 03, 04, 05, 06, 09, 10, 11
        ("redo", "2025-09-30T16:00", "2025-10-14T23:59:59"),  # 10-09, 10, 11(Sat), 13, 14
    ],
)
def test_working_days(kind: str, start: str, expected: str) -> None:
    assert due(YC, kind, start) == Deadline(at(expected), False)


def test_crossing_into_2027_is_provisional_and_weekends_only() -> None:
    assert due(YC, "resolve", "2026-12-28T10:00") == Deadline(at("2027-01-06T23:59:59"), True)
    assert due(YC, "contact", "2027-01-02T10:00") == Deadline(at("2027-01-05T23:59:59"), True)
    assert due(YC, "contact", "2026-12-24T10:00") == Deadline(at("2026-12-25T23:59:59"), False)


def test_override_file_makes_2027_definite() -> None:
    cal = WorkingCalendar.from_override_text(
        '[calendar]\ncovered_years = [2027]\nextra_holidays = ["2027-01-01"]\nextra_workdays = ["2027-01-09"]\n'
    )
    # 12-29, 30, 31, 01-04, 05, 06, 07 (01-01 now a holiday)
    assert due(YC, "resolve", "2026-12-28T10:00", cal=cal) == Deadline(at("2027-01-07T23:59:59"), False)
    assert due(YC, "answer", "2027-01-07T10:00", cal=cal) == Deadline(at("2027-01-09T23:59:59"), False)


def test_end_of_day_from_the_preset() -> None:
    doc = {"name": "office", "title": "办公时间", "source": "test", "end_of_day": "17:30:00",
           "limits": {"resolve": {"unit": "working_days", "amount": 1}}, "handling_kinds": ["resolve"]}
    preset = SlaPreset.from_dict(doc)
    assert preset.end_of_day == time(17, 30)
    assert due(preset, "resolve", "2026-02-13T10:00") == Deadline(at("2026-02-14T17:30:00"), False)
    limit = TimeLimit("days", 2)
    assert compute_due(limit, at("2026-02-13T10:00"), CAL, time(18, 0)).due == at("2026-02-15T18:00:00")


def test_hours_are_clock_hours() -> None:
    assert due(LF, "authority", "2026-11-20T15:00") == Deadline(at("2026-11-21T15:00"), False)  # into Saturday
    assert due(LF, "major_feedback", "2026-11-20T15:00") == Deadline(at("2026-11-22T15:00"), False)
    assert due(LF, "authority", "2026-10-01T09:00") == Deadline(at("2026-10-02T09:00"), False)  # holiday
    assert due(LF, "authority", "2026-12-31T12:00") == Deadline(at("2027-01-01T12:00"), False)


def test_other_timezones_are_converted_to_shanghai() -> None:
    got = LF.due("authority", datetime(2026, 11, 20, 7, 0, tzinfo=UTC), CAL)
    assert got.due == at("2026-11-21T15:00")
    assert got.due.utcoffset() == timedelta(hours=8)
    # 2026-02-12T20:00Z is already Friday 02-13 04:00 in Shanghai.
    assert YC.due("contact", datetime(2026, 2, 12, 20, 0, tzinfo=UTC), CAL).due == at("2026-02-14T23:59:59")


def test_calendar_days_ignore_holidays_and_weekends() -> None:
    assert due(LF, "major_resolve", "2026-02-13T10:00") == Deadline(at("2026-02-18T23:59:59"), False)
    assert due(LF, "major_resolve", "2026-11-21T10:00") == Deadline(at("2026-11-26T23:59:59"), False)  # Sat, no shift
    assert due(MY, "complex", "2026-11-23T09:00") == Deadline(at("2026-12-23T23:59:59"), False)
    assert due(MY, "historical", "2026-11-23T09:00") == Deadline(at("2027-01-22T23:59:59"), False)


def test_immediate() -> None:
    assert due(LF, "consultation", "2026-02-15T03:10") == Deadline(at("2026-02-15T03:10"), False)
    assert due(MY, "urgent", "2026-11-23T09:00") == Deadline(at("2026-11-23T09:00"), False)
    assert due(FC, "simple", "2026-10-01T09:00") == Deadline(at("2026-10-01T09:00"), False)


def test_ranged_limits() -> None:
    assert due(MY, "general", "2026-11-23T09:00") == Deadline(at("2026-12-08T23:59:59"), False)  # default 15
    assert due(MY, "general", "2026-11-23T09:00", 3) == Deadline(at("2026-11-26T23:59:59"), False)
    assert due(FC, "general", "2026-09-30T09:00", 5) == Deadline(at("2026-10-13T23:59:59"), False)  # 08,09,10,12,13
    assert TimeLimit("days", minimum=3, maximum=15).resolve() == 15
    assert TimeLimit("days", amount=10, minimum=3, maximum=15).resolve() == 10


@pytest.mark.parametrize(
    ("preset", "kind", "amount"),
    [("mianyang-962299", "general", 2), ("mianyang-962299", "general", 16), ("mianyang-962299", "general", 0),
     ("fucheng-2024", "general", 4), ("yicheng-2021", "resolve", 7), ("yicheng-2021", "resolve", 10),
     ("langfang-2019", "consultation", 1)],
)
def test_bad_amounts(preset: str, kind: str, amount: int) -> None:
    with pytest.raises(ValidationError):
        PRESETS[preset].due(kind, at("2026-11-23T09:00"), CAL, amount)


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValidationError):
        YC.due("resolve", datetime(2026, 11, 23, 9, 0), CAL)
    with pytest.raises(ValidationError):
        compute_due(TimeLimit("immediate"), datetime(2026, 11, 23, 9, 0), CAL, time(23, 59, 59))


def test_unknown_kind_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownTimeLimit) as exc:
        YC.limit("teleport")
    assert "teleport" in exc.value.detail and "resolve" in exc.value.detail


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"unit": "weeks", "amount": 1}, "weeks"),
        ({"unit": "days"}, "amount"),
        ({"unit": "days", "minimum": 3}, "maximum"),
        ({"unit": "days", "minimum": 15, "maximum": 3}, "15"),
        ({"unit": "immediate", "amount": 1}, "immediate"),
        ({"unit": "hours", "amount": 0}, "positive"),
        ({"unit": "days", "amount": 20, "minimum": 3, "maximum": 15}, "20"),
    ],
)
def test_time_limit_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        TimeLimit(**kwargs)  # type: ignore[arg-type]
    assert message in exc.value.detail


BASE: dict[str, object] = {
    "name": "p", "title": "测试", "source": "test",
    "limits": {"resolve": {"unit": "working_days", "amount": 7}}, "handling_kinds": ["resolve"],
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": None}, "title"),
        ({"limits": {"resolve": {"unit": "fortnights", "amount": 1}}}, "fortnights"),
        ({"limits": {"resolve": {"amount": 1}}}, "unit"),
        ({"return_kind": "return"}, "return"),
        ({"dispatch_clocks": {"contact": "contact"}}, "contact"),
        ({"handling_kinds": ["resolve", "general"]}, "general"),
        ({"urgent_kind": "urgent"}, "urgent"),
        ({"end_of_day": "25:00"}, "25:00"),
        ({"direct_answer_closes": "yes"}, "direct_answer_closes"),
        ({"colour": "red"}, "colour"),
        ({"handling_kinds": []}, "handling_kinds"),
    ],
)
def test_preset_from_dict_errors(change: dict[str, object], message: str) -> None:
    doc = {**BASE, **change}
    doc = {k: v for k, v in doc.items() if v is not None}
    with pytest.raises(ValidationError) as exc:
        SlaPreset.from_dict(doc)
    assert message in exc.value.detail


def test_preset_defaults() -> None:
    preset = SlaPreset.from_dict(BASE)
    assert preset.end_of_day == time(23, 59, 59)
    assert preset.red_card_after == TimeLimit("working_days", 1)
    assert preset.dispatch_clocks == {} and preset.direct_answer_closes is False
    assert (preset.return_kind, preset.redo_kind, preset.extension_kind, preset.urgent_kind) == (None, None, None, None)


# --- property: the working-day rule against an independent oracle ---------------


def _oracle_working(d: date) -> bool:
    # Straight from the package for covered years, Mon–Fri otherwise: independent of WorkingCalendar.
    return bool(chinese_calendar.is_workday(d)) if d.year <= 2026 else d.weekday() < 5


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31, 23, 59)),
    n=st.integers(min_value=1, max_value=20),
)
def test_working_day_deadline_property(start: datetime, n: int) -> None:
    start = start.replace(tzinfo=SH)
    got = compute_due(TimeLimit("working_days", n), start, CAL, time(23, 59, 59))
    due_day = got.due.date()
    assert _oracle_working(due_day)
    assert got.due > start
    assert got.due.time() == time(23, 59, 59)
    receipt = start.date()
    while not _oracle_working(receipt):
        receipt += timedelta(days=1)
    days = [receipt + timedelta(days=i) for i in range(1, (due_day - receipt).days + 1)]
    assert sum(_oracle_working(d) for d in days) == n
    assert got.provisional is (due_day.year >= 2027)
