"""The pure callback (回访) policy: calling windows, retries per outcome, SMS fallback, survey digits."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.domain_helpers import SH, at, policy
from worksheet.calendar import WorkingCalendar
from worksheet.callbacks import (
    DEFAULT_BACKOFF,
    CallbackAttemptsExhausted,
    CallingWindows,
    InvalidCallbackConfig,
    Outcome,
    Retry,
    RetryPolicy,
    SmsSurvey,
    Unreachable,
    Window,
    first_call_at,
    outcome_for_reason,
    survey_rating,
)
from worksheet.errors import ValidationError, WorksheetError
from worksheet.model import Rating

CAL = policy().calendar  # the real calendar, shared like the application does
WIN = CallingWindows(CAL)  # 09:00–12:00 and 14:00–20:00, Asia/Shanghai


# --- calling windows ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-11-23T08:59:59", False),
        ("2026-11-23T09:00:00", True),  # start is inclusive
        ("2026-11-23T11:59:59.999999", True),
        ("2026-11-23T12:00:00", False),  # end is exclusive
        ("2026-11-23T13:00:00", False),
        ("2026-11-23T14:00:00", True),
        ("2026-11-23T19:59:59", True),
        ("2026-11-23T20:00:00", False),
        ("2026-11-21T10:00:00", False),  # Saturday
        ("2025-10-01T10:00:00", False),  # National Day
        ("2025-10-11T10:00:00", True),  # 调休 Saturday working day
        ("2025-09-28T15:00:00", True),  # 调休 Sunday working day
    ],
)
def test_is_open(when: str, expected: bool) -> None:
    assert WIN.is_open(at(when)) is expected


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-11-23T08:00:00", "2026-11-23T09:00:00"),  # before the first window
        ("2026-11-23T10:15:00", "2026-11-23T10:15:00"),  # open: the instant itself
        ("2026-11-23T12:00:00", "2026-11-23T14:00:00"),  # exactly at a window end
        ("2026-11-23T11:59:59", "2026-11-23T11:59:59"),
        ("2026-11-23T20:00:00", "2026-11-24T09:00:00"),  # exactly at the last window end
        ("2026-11-20T20:00:00", "2026-11-23T09:00:00"),  # Friday evening → Monday, across the weekend
        ("2026-11-21T10:00:00", "2026-11-23T09:00:00"),  # Saturday
        ("2025-09-30T20:00:00", "2025-10-09T09:00:00"),  # before National Day → after the holiday
        ("2025-10-03T10:00:00", "2025-10-09T09:00:00"),  # inside the holiday
        ("2025-10-10T20:30:00", "2025-10-11T09:00:00"),  # Friday → 调休 Saturday
        ("2025-12-31T20:00:00", "2026-01-04T09:00:00"),  # New Year → 调休 Sunday 2026-01-04
        ("2026-02-13T21:00:00", "2026-02-14T09:00:00"),  # → 调休 Saturday before Spring Festival
        ("2026-02-14T20:00:00", "2026-02-24T09:00:00"),  # across Spring Festival
    ],
)
def test_next_open(when: str, expected: str) -> None:
    got = WIN.next_open(at(when))
    assert got == at(expected)
    assert got.utcoffset() == timedelta(hours=8)
    assert WIN.is_open(got)


def test_next_open_converts_other_zones() -> None:
    # 2026-11-23 04:00 UTC = 12:00 Shanghai (closed) → 14:00 Shanghai
    got = WIN.next_open(datetime(2026, 11, 23, 4, 0, tzinfo=UTC))
    assert got == at("2026-11-23T14:00:00")
    assert got.tzinfo == SH


def test_open_on_lists_intervals() -> None:
    assert WIN.open_on(at("2026-11-21T00:00").date()) == ()
    assert WIN.open_on(at("2025-10-11T00:00").date()) == (
        (at("2025-10-11T09:00"), at("2025-10-11T12:00")),
        (at("2025-10-11T14:00"), at("2025-10-11T20:00")),
    )


def test_configurable_windows_and_override_calendar() -> None:
    cal = WorkingCalendar(extra_holidays=[at("2026-11-24T00:00").date()],
                          extra_workdays=[at("2026-11-28T00:00").date()])
    win = CallingWindows(cal, ["14:00-17:30", "8:30-11:30"], tz="Asia/Shanghai")
    assert [str(w) for w in win.windows] == ["08:30-11:30", "14:00-17:30"]  # sorted
    assert win.next_open(at("2026-11-23T17:30")) == at("2026-11-25T08:30")  # 24th is an override holiday
    assert win.next_open(at("2026-11-27T18:00")) == at("2026-11-28T08:30")  # Saturday override workday
    touching = CallingWindows(CAL, [(time(9), time(12)), (time(12), time(13))])
    assert touching.is_open(at("2026-11-23T12:00"))


def test_windows_in_another_zone() -> None:
    win = CallingWindows(CAL, [Window(time(9), time(17))], tz="UTC")
    # 2026-11-23 08:30 Shanghai = 00:30 UTC → 09:00 UTC = 17:00 Shanghai
    assert win.next_open(at("2026-11-23T08:30")) == at("2026-11-23T17:00")


@pytest.mark.parametrize(
    "windows",
    [
        [],  # none
        ["12:00-09:00"],  # start after end
        ["09:00-09:00"],  # empty
        ["09:00-12:00", "11:00-14:00"],  # overlap
        ["09:00-12:00", "09:00-12:00"],  # duplicate
        ["9-12"],  # not HH:MM
        [("09:00", "25:00")],  # not a time
        [(time(9), time(12), time(13))],  # not a pair
        [(time(9, tzinfo=UTC), time(12))],  # zoned wall-clock time
        [42],
    ],
)
def test_invalid_windows_are_rejected(windows: list) -> None:
    with pytest.raises(InvalidCallbackConfig) as err:
        CallingWindows(CAL, windows)
    assert err.value.error_id == "invalid-callback-config"
    assert isinstance(err.value, ValidationError)  # the HTTP layer maps it to 422


def test_invalid_zone_and_calendar_are_rejected() -> None:
    with pytest.raises(InvalidCallbackConfig):
        CallingWindows(CAL, tz="Mars/Olympus")
    with pytest.raises(InvalidCallbackConfig):
        CallingWindows(object())  # type: ignore[arg-type]


def test_naive_times_are_rejected() -> None:
    with pytest.raises(ValidationError):
        WIN.is_open(datetime(2026, 11, 23, 10, 0))
    with pytest.raises(ValidationError):
        WIN.next_open(datetime(2026, 11, 23, 10, 0))
    with pytest.raises(ValidationError):
        first_call_at(datetime(2026, 11, 23, 10, 0), WIN)


def test_first_call_at_next_window() -> None:
    assert first_call_at(at("2026-11-23T10:00"), WIN) == at("2026-11-23T10:00")
    assert first_call_at(at("2026-11-23T12:30"), WIN) == at("2026-11-23T14:00")
    assert first_call_at(at("2026-11-20T22:00"), WIN) == at("2026-11-23T09:00")
    assert first_call_at(at("2025-10-10T23:00"), WIN) == at("2025-10-11T09:00")


_instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31),
    timezones=st.sampled_from([SH, UTC]),
)


@settings(max_examples=300, deadline=None)
@given(_instants)
def test_next_open_is_never_earlier_and_always_open(when: datetime) -> None:
    got = WIN.next_open(when)
    assert got >= when
    assert WIN.is_open(got)
    if WIN.is_open(when):
        assert got == when


@settings(max_examples=100, deadline=None)
@given(_instants)
def test_next_open_is_the_earliest(when: datetime) -> None:
    # nothing between `when` and the result is open: check one minute before (when it lies after `when`)
    got = WIN.next_open(when)
    probe = got - timedelta(minutes=1)
    if probe >= when:
        assert not WIN.is_open(probe)


# --- outcomes and survey digits ----------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "outcome"),
    [(5, Outcome.BUSY), (3, Outcome.NO_ANSWER), (8, Outcome.CONGESTION), (0, Outcome.FAILED),
     ("5", Outcome.BUSY), (" 3 ", Outcome.NO_ANSWER), (1, Outcome.FAILED), (4, None), ("4", None)],
)
def test_outcome_for_reason(reason: int | str, outcome: Outcome | None) -> None:
    assert outcome_for_reason(reason) is outcome


@pytest.mark.parametrize("reason", ["busy", "", -1, True, 3.0])
def test_outcome_for_bad_reason(reason: object) -> None:
    with pytest.raises(ValidationError):
        outcome_for_reason(reason)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("digits", "rating"),
    [("1", Rating.SATISFIED), ("2", Rating.BASICALLY_SATISFIED), ("3", Rating.UNSATISFIED),
     ("", None), ("0", None), ("4", None), ("9", None), ("*", None), ("#", None), ("11", None),
     ("1#", None), (" 1", None), ("１", None), (None, None)],
)
def test_survey_rating(digits: str | None, rating: Rating | None) -> None:
    assert survey_rating(digits) is rating  # type: ignore[arg-type]


# --- retry policy ----------------------------------------------------------------------

CALL_OUTCOMES = [o for o in Outcome if o is not Outcome.SMS_UNANSWERED]


@pytest.mark.parametrize("outcome", CALL_OUTCOMES)
def test_retry_after_backoff_for_each_outcome(outcome: Outcome) -> None:
    pol = RetryPolicy()
    now = at("2026-11-23T09:30")
    step = pol.next_step(1, outcome, now, WIN)
    assert step == Retry(at=WIN.next_open(now + DEFAULT_BACKOFF[outcome]), attempt=2)
    assert step.at >= now + DEFAULT_BACKOFF[outcome]


def test_configured_backoff_per_outcome() -> None:
    pol = RetryPolicy(max_attempts=3, backoff={"busy": timedelta(minutes=10), Outcome.NO_ANSWER: timedelta(minutes=30)})
    now = at("2026-11-23T09:00")
    assert pol.next_step(1, "busy", now, WIN) == Retry(at("2026-11-23T09:10"), 2)
    assert pol.next_step(1, Outcome.NO_ANSWER, now, WIN) == Retry(at("2026-11-23T09:30"), 2)
    assert pol.backoff[Outcome.CONGESTION] == DEFAULT_BACKOFF[Outcome.CONGESTION]  # unnamed: default


def test_retry_moves_into_the_next_window() -> None:
    pol = RetryPolicy(backoff={"no_answer": timedelta(minutes=30)})
    assert pol.next_step(1, "no_answer", at("2026-11-23T11:45"), WIN) == Retry(at("2026-11-23T14:00"), 2)
    assert pol.next_step(2, "no_answer", at("2026-11-20T19:50"), WIN) == Retry(at("2026-11-23T09:00"), 3)
    assert pol.next_step(1, "no_answer", at("2025-09-30T19:45"), WIN) == Retry(at("2025-10-09T09:00"), 2)
    assert pol.next_step(1, "no_answer", at("2025-10-10T19:45"), WIN) == Retry(at("2025-10-11T09:00"), 2)


@pytest.mark.parametrize("outcome", CALL_OUTCOMES)
def test_full_sequence_calls_then_sms_then_unreachable(outcome: Outcome) -> None:
    pol = RetryPolicy(max_attempts=3)
    now = first_call_at(at("2026-11-20T16:00"), WIN)  # Friday afternoon check
    attempts = 0
    retries = []
    while True:
        assert pol.may_dial(attempts)
        attempts = pol.attempt_started(attempts)  # persisted before dialling
        step = pol.next_step(attempts, outcome, now, WIN)
        if not isinstance(step, Retry):
            break
        retries.append(step)
        assert step.attempt == attempts + 1
        assert WIN.is_open(step.at) and step.at > now
        now = step.at
    assert attempts == 3 and len(retries) == 2
    assert not pol.may_dial(attempts)
    assert isinstance(step, SmsSurvey)
    assert step.send_at == WIN.next_open(now)
    sms = step
    assert not sms.expired(sms.answer_by - timedelta(seconds=1))
    assert sms.expired(sms.answer_by)
    assert pol.next_step(attempts, Outcome.SMS_UNANSWERED, sms.answer_by, WIN) == Unreachable(sms.answer_by, 3)


def test_sms_answer_window_counts_working_days() -> None:
    pol = RetryPolicy(max_attempts=1, sms_answer_working_days=2)
    # Friday 15:00 → due Tuesday 15:00 (weekend skipped)
    assert pol.next_step(1, "busy", at("2026-11-20T15:00"), WIN) == SmsSurvey(
        at("2026-11-20T15:00"), at("2026-11-24T15:00"))
    # Friday 2025-10-10 15:00 → Sat 10-11 (调休) is day 1, Mon 10-13 day 2
    assert pol.next_step(1, "busy", at("2025-10-10T15:00"), WIN) == SmsSurvey(
        at("2025-10-10T15:00"), at("2025-10-13T15:00"))
    # failed at 20:30: the SMS waits for the next window
    assert pol.next_step(1, "busy", at("2025-09-30T20:30"), WIN) == SmsSurvey(
        at("2025-10-09T09:00"), at("2025-10-11T09:00"))


def test_attempts_are_counted_at_dial_time() -> None:
    pol = RetryPolicy(max_attempts=2)
    assert pol.attempt_started(0) == 1
    assert pol.attempt_started(1) == 2
    with pytest.raises(CallbackAttemptsExhausted) as err:
        pol.attempt_started(2)  # e.g. restarted after a crash that happened after the second dial
    assert err.value.error_id == "callback-attempts-exhausted"
    assert isinstance(err.value, WorksheetError)
    # The crashed attempt has no OriginateResponse: after the timeout it is a TIMEOUT outcome,
    # and since it was already counted it leads to the SMS, not to a third call.
    dialled = at("2026-11-23T10:00")
    assert not pol.timed_out(dialled, dialled + timedelta(seconds=89))
    assert pol.timed_out(dialled, dialled + pol.originate_timeout)
    assert isinstance(pol.next_step(2, Outcome.TIMEOUT, at("2026-11-23T10:05"), WIN), SmsSurvey)


def test_next_step_rejects_inconsistent_counts() -> None:
    pol = RetryPolicy(max_attempts=3)
    now = at("2026-11-23T10:00")
    with pytest.raises(ValidationError):
        pol.next_step(0, "busy", now, WIN)  # no attempt started
    with pytest.raises(ValidationError):
        pol.next_step(4, "busy", now, WIN)  # more than allowed were dialled
    with pytest.raises(ValidationError):
        pol.next_step(2, Outcome.SMS_UNANSWERED, now, WIN)  # SMS before calls were exhausted
    with pytest.raises(ValidationError):
        pol.next_step(1, "hangup", now, WIN)
    with pytest.raises(ValidationError):
        pol.next_step(-1, "busy", now, WIN)
    with pytest.raises(ValidationError):
        pol.next_step(1, "busy", datetime(2026, 11, 23, 10, 0), WIN)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_attempts": 0},
        {"max_attempts": -1},
        {"max_attempts": True},
        {"max_attempts": 2.5},
        {"backoff": {"ringing": timedelta(minutes=1)}},
        {"backoff": {"sms_unanswered": timedelta(minutes=1)}},
        {"backoff": {"busy": timedelta(0)}},
        {"backoff": {"busy": -timedelta(minutes=1)}},
        {"backoff": {"busy": 600}},
        {"backoff": [("busy", timedelta(minutes=1))]},
        {"originate_timeout": timedelta(0)},
        {"originate_timeout": 90},
        {"sms_answer_working_days": 0},
        {"sms_answer_working_days": "2"},
    ],
)
def test_invalid_retry_policy_is_rejected(kwargs: dict) -> None:
    with pytest.raises(InvalidCallbackConfig) as err:
        RetryPolicy(**kwargs)
    assert err.value.error_id == "invalid-callback-config"


def test_retry_policy_is_immutable() -> None:
    pol = RetryPolicy(backoff={"busy": timedelta(minutes=10)})
    with pytest.raises(TypeError):
        pol.backoff[Outcome.BUSY] = timedelta(minutes=1)  # type: ignore[index]
    with pytest.raises(AttributeError):
        pol.max_attempts = 5  # type: ignore[misc]
