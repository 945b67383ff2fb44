"""Typed domain errors. Each has a stable `error_id`; the HTTP layer maps them
to status codes in one place (callcenter/http/problems.py)."""

from __future__ import annotations


class WorksheetError(Exception):
    error_id = "worksheet-error"
    title = "Work-order error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ValidationError(WorksheetError):
    error_id = "validation-failed"
    title = "Invalid input"


class InvalidCreditCode(ValidationError):
    error_id = "invalid-credit-code"
    title = "Invalid unified social credit code"


class InvalidTransition(WorksheetError):
    """A command that the order's current state does not allow."""

    error_id = "invalid-transition"
    title = "Command not allowed in this state"

    def __init__(self, state: str, command: str, detail: str | None = None) -> None:
        super().__init__(detail or f"command '{command}' is not allowed when the order is '{state}'")
        self.state = state
        self.command = command


class WindowClosed(InvalidTransition):
    """E.g. a return after the unit's 1-working-day return window."""

    error_id = "window-closed"
    title = "Time window has passed"


class NotPermitted(WorksheetError):
    error_id = "not-permitted"
    title = "Not permitted for this role or unit"


class UnknownPreset(WorksheetError):
    error_id = "unknown-preset"
    title = "Unknown SLA preset"


class UnknownTimeLimit(WorksheetError):
    error_id = "unknown-time-limit"
    title = "Unknown time-limit kind"


class CalendarDataMissing(WorksheetError):
    error_id = "calendar-data-missing"
    title = "No calendar data"


class PolicyFileError(WorksheetError):
    """A deployment's preset or calendar-override file is missing or malformed."""

    error_id = "policy-file-invalid"
    title = "Invalid policy file"
