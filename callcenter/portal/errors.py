"""The portal's typed errors: a stable ``error_id`` for logs and tests, the form field the error
belongs next to, and the Chinese message the page shows there. Their HTTP statuses are mapped in
one place (callcenter/portal/http.py, STATUS)."""

from __future__ import annotations


class PortalError(Exception):
    error_id = "portal-error"

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field  # None: about the whole form
        self.message = message


class FieldsInvalid(PortalError):
    """One or more fields are filled in wrongly; ``errors`` maps each to its message."""

    error_id = "portal-fields-invalid"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(None, "请按提示修改后重新提交。")
        self.errors = errors


class CodeRejected(PortalError):
    """A wrong, expired, spent or never-sent verification code (the four are not told apart)."""

    error_id = "portal-code-rejected"


class RateLimited(PortalError):
    error_id = "portal-rate-limited"


class ChallengeRequired(PortalError):
    """Too many failures from this address: the arithmetic question must be answered first."""

    error_id = "portal-challenge-required"


class SmsDown(PortalError):
    error_id = "portal-sms-unavailable"


class FormExpired(PortalError):
    """A form without our CSRF token (another site's, or one kept open for hours)."""

    error_id = "portal-form-expired"


class NotAllowedNow(PortalError):
    """The order is in no state for this (a supplement to a closed order, a second rating)."""

    error_id = "portal-not-allowed-now"
