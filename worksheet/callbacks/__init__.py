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


from .retry import (
    ANSWERED_REASON,
    CALL_OUTCOMES,
    DEFAULT_BACKOFF,
    Outcome,
    Retry,
    RetryPolicy,
    SmsSurvey,
    Unreachable,
    outcome_for_reason,
    survey_rating,
)
from .windows import (
    DEFAULT_WINDOWS,
    SHANGHAI,
    CallbackAttemptsExhausted,
    CallingWindows,
    InvalidCallbackConfig,
    Window,
    first_call_at,
)

__all__ = [
    "ANSWERED_REASON", "CALL_OUTCOMES", "DEFAULT_BACKOFF", "DEFAULT_WINDOWS", "SHANGHAI", "CallbackAttemptsExhausted", "CallingWindows", "InvalidCallbackConfig",
    "Outcome", "Retry", "RetryPolicy", "SmsSurvey", "Unreachable", "Window", "first_call_at",
    "outcome_for_reason", "survey_rating",
]
