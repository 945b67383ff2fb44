"""Typed errors of the city interface. Each has a stable ``error_id``; callcenter/http/problems.py
maps the classes to HTTP statuses (the one table)."""

from __future__ import annotations


class CityError(Exception):
    error_id = "city-error"
    title = "City platform request refused"

    def __init__(self, detail: str, *, error_id: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if error_id is not None:
            self.error_id = error_id


class CityUnauthenticated(CityError):
    """401: no signature, a wrong one, or a timestamp outside the window (a replay or a bad clock)."""

    error_id = "city-signature-invalid"
    title = "Signature check failed"


class CityBadRequest(CityError):
    """400: the request is not one the interface can read (a timestamp that is no number, not JSON)."""

    error_id = "city-bad-request"
    title = "Malformed city request"


class CityBodyTooLarge(CityError):
    error_id = "city-body-too-large"
    title = "Request body too large"


class CityUnsupportedMedia(CityError):
    error_id = "city-unsupported-media-type"
    title = "The body must be JSON"


class CityTransferConflict(CityError):
    """409: the city order id was transferred before with different content, or is being stored now."""

    error_id = "city-transfer-conflict"
    title = "City order id already used"

    def __init__(self, detail: str, *, error_id: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(detail, error_id=error_id)
        self.retry_after = retry_after
