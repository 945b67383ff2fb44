"""The automatic satisfaction callback (回访): when to call, how to retry, how to read the answer.

Pure policy, like the rest of `worksheet`: every function takes the current time
as an argument, nothing reads the clock and nothing does I/O. The telephony side
(originating the call over AMI, playing the prompt, sending the SMS) lives in the
application layers and asks this module what to do next.

The loop the caller drives:

1. The reply passes the platform's check → `first_call_at(checked_at, windows)`:
   the first call is placed at the next instant the calling windows are open.
2. Just *before* dialling → `policy.attempt_started(attempts_so_far)` and persist
   the returned count. Attempts are counted at dial time, so a crash after
   dialling (but before the outcome was stored) cannot earn an extra attempt.
   A started attempt with no OriginateResponse after `policy.originate_timeout`
   (see `policy.timed_out`) is reported as `Outcome.TIMEOUT`; that covers the
   crash too.
3. The call answered and the enterprise keyed a digit → `survey_rating(digits)`.
   `None` means no valid input → `Outcome.ANSWERED_NO_INPUT`.
4. Any failure → `policy.next_step(attempts_so_far, outcome, now, windows)`:
   `Retry(at)` while attempts remain; after the last failed attempt `SmsSurvey`
   (send at `send_at`, answer expected by `answer_by`, `sms_answer_working_days`
   working days later).
5. No SMS answer by `answer_by` → `next_step(..., Outcome.SMS_UNANSWERED, ...)`
   → `Unreachable`, recorded for the supervisor.

Calling windows are wall-clock times in one time zone (Asia/Shanghai by default,
which has no daylight saving time) on the working days of a `WorkingCalendar`,
so weekends and public holidays are skipped and adjusted working weekends
(调休上班) are calling days.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .calendar import WorkingCalendar
from .errors import InvalidTransition, ValidationError
from .model import Rating

SHANGHAI = ZoneInfo("Asia/Shanghai")
_ONE_DAY = timedelta(days=1)


# --- errors ----------------------------------------------------------------------


class InvalidCallbackConfig(ValidationError):
    """Calling windows or retry policy configuration that cannot work."""

    error_id = "invalid-callback-config"
    title = "Invalid callback configuration"


class CallbackAttemptsExhausted(InvalidTransition):
    """A dial was requested although every allowed attempt has already been started."""

    error_id = "callback-attempts-exhausted"
    title = "No callback attempts left"

    def __init__(self, attempts: int, max_attempts: int) -> None:
        super().__init__(
            "attempts-exhausted", "dial",
            f"{attempts} of {max_attempts} callback attempts already started; no further dial is allowed",
        )
        self.attempts = attempts
        self.max_attempts = max_attempts


# --- calling windows ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Window:
    """One daily calling window, half-open: open at `start`, closed again at `end`."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start.strftime('%H:%M')}-{self.end.strftime('%H:%M')}"


DEFAULT_WINDOWS: tuple[Window, ...] = (Window(time(9, 0), time(12, 0)), Window(time(14, 0), time(20, 0)))
_WINDOW_TEXT = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–~]\s*(\d{1,2}:\d{2})\s*$")


class CallingWindows:
    """When the platform may phone an enterprise: daily windows on working days.

    Windows are half-open (`start <= t < end`): at exactly `end` the window is
    closed. They must not overlap; touching windows (12:00–14:00 and
    14:00–18:00) are allowed and behave like one.
    """

    __slots__ = ("calendar", "windows", "tz")

    def __init__(
        self,
        calendar: WorkingCalendar,
        windows: Iterable[Window | tuple[time | str, time | str] | str] = DEFAULT_WINDOWS,
        tz: ZoneInfo | str = SHANGHAI,
    ) -> None:
        if not isinstance(calendar, WorkingCalendar):
            raise InvalidCallbackConfig(f"calendar must be a WorkingCalendar, got {calendar!r}")
        self.calendar = calendar
        self.tz = _zone(tz)
        self.windows = _validate_windows(windows)

    def __repr__(self) -> str:
        return f"CallingWindows({', '.join(str(w) for w in self.windows)}, tz={self.tz.key})"

    def is_open(self, at: datetime) -> bool:
        local = _aware(at, "at").astimezone(self.tz)
        if not self.calendar.is_working_day(local.date()):
            return False
        t = local.time()
        return any(w.start <= t < w.end for w in self.windows)

    def next_open(self, at: datetime) -> datetime:
        """The earliest instant >= `at` at which the windows are open (in the windows' zone).

        Returns `at` itself (converted to the zone) when the windows are open at `at`.
        """
        local = _aware(at, "at").astimezone(self.tz)
        day, t = local.date(), local.time()
        while True:
            working_day, _ = self.calendar.next_working_day_on_or_after(day)
            if working_day != day:
                day, t = working_day, time.min
            for w in self.windows:
                if t < w.end:
                    if t >= w.start:
                        return local
                    return datetime.combine(day, w.start, tzinfo=self.tz)
            day, t = day + _ONE_DAY, time.min

    def open_on(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The open intervals of one day (empty on a non-working day)."""
        if not self.calendar.is_working_day(day):
            return ()
        return tuple(
            (datetime.combine(day, w.start, tzinfo=self.tz), datetime.combine(day, w.end, tzinfo=self.tz))
            for w in self.windows
        )


def first_call_at(checked_at: datetime, windows: CallingWindows) -> datetime:
    """When a reply passes the check (验收), the survey call goes out at the next open window time."""
    return windows.next_open(_aware(checked_at, "checked_at"))


# --- outcomes and the survey answer ------------------------------------------------------


class Outcome(StrEnum):
    """Why an attempt did not produce a rating."""

    BUSY = "busy"  # OriginateResponse Reason 5
    NO_ANSWER = "no_answer"  # Reason 3 (rang until the originate timeout)
    CONGESTION = "congestion"  # Reason 8
    FAILED = "failed"  # Reason 0 (and any other non-answer reason)
    TIMEOUT = "timeout"  # no OriginateResponse within RetryPolicy.originate_timeout (also: crash after dial)
    ANSWERED_NO_INPUT = "answered_no_input"  # answered, but no valid DTMF digit
    SMS_UNANSWERED = "sms_unanswered"  # the SMS survey got no answer by its `answer_by`


CALL_OUTCOMES: frozenset[Outcome] = frozenset(Outcome) - {Outcome.SMS_UNANSWERED}
ANSWERED_REASON = 4
_REASONS = {5: Outcome.BUSY, 3: Outcome.NO_ANSWER, 8: Outcome.CONGESTION, 0: Outcome.FAILED}


def outcome_for_reason(reason: int | str) -> Outcome | None:
    """Map an AMI OriginateResponse `Reason` to an outcome; None for 4 (answered: run the survey).

    Reasons other than the documented ones (e.g. 1 "hung up before answer") count as FAILED.
    """
    if isinstance(reason, str):
        text = reason.strip()
        if not text.isdigit():
            raise ValidationError(f"OriginateResponse reason '{reason}' is not a number")
        reason = int(text)
    if isinstance(reason, bool) or not isinstance(reason, int) or reason < 0:
        raise ValidationError(f"OriginateResponse reason {reason!r} is not a non-negative integer")
    if reason == ANSWERED_REASON:
        return None
    return _REASONS.get(reason, Outcome.FAILED)


_DIGITS = {"1": Rating.SATISFIED, "2": Rating.BASICALLY_SATISFIED, "3": Rating.UNSATISFIED}


def survey_rating(digits: str) -> Rating | None:
    """"1" satisfied, "2" basically satisfied, "3" unsatisfied; anything else (including "") is None."""
    if not isinstance(digits, str):
        return None
    return _DIGITS.get(digits)


# --- retry policy --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Retry:
    """Dial again at `at` (already inside a calling window); it will be attempt number `attempt`."""

    at: datetime
    attempt: int


@dataclass(frozen=True, slots=True)
class SmsSurvey:
    """Calls are exhausted: send the survey by SMS at `send_at`; no answer by `answer_by` → unreachable."""

    send_at: datetime
    answer_by: datetime

    def expired(self, now: datetime) -> bool:
        return _aware(now, "now") >= self.answer_by


@dataclass(frozen=True, slots=True)
class Unreachable:
    """Neither the calls nor the SMS survey reached the enterprise; recorded for the supervisor."""

    at: datetime
    attempts: int


Step = Retry | SmsSurvey | Unreachable

DEFAULT_BACKOFF: Mapping[Outcome, timedelta] = MappingProxyType({
    Outcome.BUSY: timedelta(minutes=10),
    Outcome.NO_ANSWER: timedelta(minutes=30),
    Outcome.CONGESTION: timedelta(minutes=5),
    Outcome.FAILED: timedelta(minutes=30),
    Outcome.TIMEOUT: timedelta(minutes=15),
    Outcome.ANSWERED_NO_INPUT: timedelta(minutes=60),
})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how soon to call again, per outcome.

    `backoff` may name any subset of the call outcomes (by `Outcome` or its
    string value); the others keep `DEFAULT_BACKOFF`. The retry time is
    `now + backoff`, moved forward to the next open calling window.
    """

    max_attempts: int = 3
    backoff: Mapping[Outcome | str, timedelta] = field(default_factory=dict)
    originate_timeout: timedelta = timedelta(seconds=90)
    sms_answer_working_days: int = 2

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise InvalidCallbackConfig(f"max_attempts must be a positive integer, got {self.max_attempts!r}")
        if not isinstance(self.backoff, Mapping):
            raise InvalidCallbackConfig("backoff must be a mapping of outcome → timedelta")
        merged = dict(DEFAULT_BACKOFF)
        for key, delay in self.backoff.items():
            try:
                outcome = Outcome(key)
            except ValueError:
                raise InvalidCallbackConfig(
                    f"backoff: unknown outcome '{key}' (expected one of {', '.join(sorted(CALL_OUTCOMES))})"
                ) from None
            if outcome not in CALL_OUTCOMES:
                raise InvalidCallbackConfig(f"backoff: '{outcome}' is not a call outcome and has no retry")
            if not isinstance(delay, timedelta) or delay <= timedelta(0):
                raise InvalidCallbackConfig(f"backoff for '{outcome}' must be a positive timedelta, got {delay!r}")
            merged[outcome] = delay
        object.__setattr__(self, "backoff", MappingProxyType(merged))
        if not isinstance(self.originate_timeout, timedelta) or self.originate_timeout <= timedelta(0):
            raise InvalidCallbackConfig(
                f"originate_timeout must be a positive timedelta, got {self.originate_timeout!r}"
            )
        days = self.sms_answer_working_days
        if isinstance(days, bool) or not isinstance(days, int) or days < 1:
            raise InvalidCallbackConfig(f"sms_answer_working_days must be a positive integer, got {days!r}")

    # --- attempts are counted when dialling --------------------------------------

    def may_dial(self, attempts_so_far: int) -> bool:
        return _count(attempts_so_far, "attempts_so_far") < self.max_attempts

    def attempt_started(self, attempts_so_far: int) -> int:
        """The attempt count to persist *before* dialling (attempts_so_far + 1).

        Raises `CallbackAttemptsExhausted` when every allowed attempt has been started.
        """
        n = _count(attempts_so_far, "attempts_so_far")
        if n >= self.max_attempts:
            raise CallbackAttemptsExhausted(n, self.max_attempts)
        return n + 1

    def timed_out(self, dialled_at: datetime, now: datetime) -> bool:
        """True when a started attempt has had no OriginateResponse for `originate_timeout`."""
        return _aware(now, "now") - _aware(dialled_at, "dialled_at") >= self.originate_timeout

    # --- what next -------------------------------------------------------------------

    def next_step(self, attempts_so_far: int, outcome: Outcome | str, now: datetime, windows: CallingWindows) -> Step:
        """What to do after an attempt (or the SMS survey) failed.

        `attempts_so_far` is the persisted count of *started* attempts, including the
        one whose `outcome` is reported (1..max_attempts).
        """
        n = _count(attempts_so_far, "attempts_so_far")
        now = _aware(now, "now")
        try:
            outcome = Outcome(outcome)
        except ValueError:
            raise ValidationError(f"unknown callback outcome '{outcome}'") from None
        if outcome is Outcome.SMS_UNANSWERED:
            if n < self.max_attempts:
                raise ValidationError(
                    f"SMS survey reported unanswered after only {n} of {self.max_attempts} call attempts"
                )
            return Unreachable(at=now, attempts=n)
        if n < 1:
            raise ValidationError("an outcome was reported but no attempt was started (attempts_so_far is 0)")
        if n > self.max_attempts:
            raise ValidationError(f"attempts_so_far {n} exceeds max_attempts {self.max_attempts}")
        if n < self.max_attempts:
            return Retry(at=windows.next_open(now + self.backoff[outcome]), attempt=n + 1)
        return self.sms_survey(now, windows)

    def sms_survey(self, now: datetime, windows: CallingWindows) -> SmsSurvey:
        """The SMS goes out at the next open window; the answer is due N working days later, same time."""
        send_at = windows.next_open(_aware(now, "now"))
        due_day, _ = windows.calendar.add_working_days(send_at.date(), self.sms_answer_working_days)
        return SmsSurvey(send_at=send_at, answer_by=datetime.combine(due_day, send_at.timetz()))


# --- helpers ---------------------------------------------------------------------------


def _aware(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(f"{name} must carry a time zone offset, e.g. 2026-11-23T09:30:00+08:00")
    return value


def _count(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    if isinstance(tz, str):
        try:
            return ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidCallbackConfig(f"unknown time zone '{tz}'") from None
    raise InvalidCallbackConfig(f"tz must be a ZoneInfo or a zone name, got {tz!r}")


def _time(value: time | str, what: str) -> time:
    if isinstance(value, str):
        try:
            value = time.fromisoformat(value.strip())
        except ValueError:
            raise InvalidCallbackConfig(f"{what}: '{value}' is not a time of day (HH:MM)") from None
    if not isinstance(value, time):
        raise InvalidCallbackConfig(f"{what}: {value!r} is not a time of day")
    if value.tzinfo is not None:
        raise InvalidCallbackConfig(f"{what}: {value} must be a wall-clock time without a zone")
    return value


def _window(spec: Window | tuple[time | str, time | str] | str) -> Window:
    if isinstance(spec, str):
        m = _WINDOW_TEXT.match(spec)
        if not m:
            raise InvalidCallbackConfig(f"calling window '{spec}' is not of the form HH:MM-HH:MM")
        spec = (m.group(1).zfill(5), m.group(2).zfill(5))
    if isinstance(spec, Window):
        start, end = spec.start, spec.end
    elif isinstance(spec, tuple) and len(spec) == 2:
        start, end = spec
    else:
        raise InvalidCallbackConfig(f"calling window {spec!r} must be (start, end) or 'HH:MM-HH:MM'")
    start, end = _time(start, "window start"), _time(end, "window end")
    if not start < end:
        raise InvalidCallbackConfig(f"calling window {start}-{end}: start must be before end (no midnight crossing)")
    return Window(start, end)


def _validate_windows(specs: Iterable[Window | tuple[time | str, time | str] | str]) -> tuple[Window, ...]:
    if isinstance(specs, str | Window):
        specs = (specs,)
    windows = sorted((_window(s) for s in specs), key=lambda w: (w.start, w.end))
    if not windows:
        raise InvalidCallbackConfig("at least one calling window is required")
    for prev, cur in zip(windows, windows[1:], strict=False):
        if cur.start < prev.end:
            raise InvalidCallbackConfig(f"calling windows {prev} and {cur} overlap")
    return tuple(windows)
