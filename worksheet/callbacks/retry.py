"""Callback outcomes, the survey answer and the retry policy. Pure: time comes in as arguments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from ..errors import ValidationError
from ..model import Rating
from .windows import CallbackAttemptsExhausted, CallingWindows, InvalidCallbackConfig, _aware, _count

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

