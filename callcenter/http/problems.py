"""Errors as RFC 9457 problem+json.

`STATUS` is the one table from exception class to HTTP status; a subclass not
listed takes its nearest listed ancestor's status (so WindowClosed could inherit
InvalidTransition's). Anything not in the table is a 500 whose detail says nothing
about the internals; the traceback goes to the log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from callcenter.auth.errors import LoginBusy, LoginThrottled
from callcenter.blobs.errors import AttachmentNotFound, FileTooLarge, UnsupportedFile, UploadQuotaExceeded
from callcenter.city.errors import (
    CityBadRequest,
    CityBodyTooLarge,
    CityTransferConflict,
    CityUnauthenticated,
    CityUnsupportedMedia,
)
from callcenter.db.errors import (
    CallNotFound,
    DuplicateUser,
    NoAdminLeft,
    OrderNotFound,
    UserNotFound,
    VersionConflict,
)
from callcenter.http.disconnect import gone_response, went_away
from worksheet import errors as ws

log = logging.getLogger("zhitong.http")

PROBLEM_TYPE = "https://zhitong.dev/problems/"
CONTENT_TYPE = "application/problem+json"


class ApiError(Exception):
    """An error raised by the HTTP layer itself; its status comes from `STATUS`."""

    error_id = "api-error"
    title = "Request failed"

    def __init__(self, detail: str, *, error_id: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if error_id is not None:
            self.error_id = error_id

    @property
    def status(self) -> int:
        return status_for(self)


class BadRequest(ApiError):
    """400. Mostly a body that is not JSON; pass error_id="bad-request" for other malformed requests."""

    error_id = "malformed-json"
    title = "Malformed request"


class Unauthorized(ApiError):
    error_id = "unauthenticated"
    title = "Authentication required"


class Forbidden(ApiError):
    error_id = "forbidden"
    title = "Forbidden for this role"


class NotFound(ApiError):
    error_id = "not-found"
    title = "Not found"


class Conflict(ApiError):
    error_id = "version-conflict"
    title = "The resource has changed"


STATUS: dict[type[BaseException], int] = {
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    ws.ValidationError: 422,
    ws.InvalidCreditCode: 422,
    ws.InvalidTransition: 409,
    ws.WindowClosed: 409,
    ws.NotPermitted: 403,
    ws.UnknownPreset: 422,
    ws.UnknownTimeLimit: 422,
    ws.CalendarDataMissing: 422,
    OrderNotFound: 404,
    CallNotFound: 404,
    VersionConflict: 409,
    AttachmentNotFound: 404,
    FileTooLarge: 413,
    UnsupportedFile: 415,
    UploadQuotaExceeded: 429,
    LoginThrottled: 429,
    LoginBusy: 503,
    UserNotFound: 404,
    NoAdminLeft: 409,
    DuplicateUser: 409,
    CityUnauthenticated: 401,
    CityBadRequest: 400,
    CityBodyTooLarge: 413,
    CityUnsupportedMedia: 415,
    CityTransferConflict: 409,
}


def status_for(exc: BaseException) -> int | None:
    """The status of the nearest class in `STATUS`, or None when the exception is unmapped."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return None


def problem_response(status: int, error_id: str, title: str, detail: str, **extra: Any) -> web.Response:
    body = {"type": PROBLEM_TYPE + error_id, "title": title, "status": status, "detail": detail,
            "error_id": error_id, **extra}
    return web.Response(status=status, text=json.dumps(body, ensure_ascii=False), content_type=CONTENT_TYPE,
                        charset="utf-8")


def exception_response(exc: BaseException) -> web.Response | None:
    """The problem response for a mapped exception; None when it is not in `STATUS`."""
    status = status_for(exc)
    if status is None:
        return None
    error_id = getattr(exc, "error_id", None) or type(exc).__name__.lower()
    title = getattr(exc, "title", None) or type(exc).__name__
    detail = getattr(exc, "detail", None) or str(exc) or title
    extra: dict[str, Any] = {}
    if isinstance(exc, ws.InvalidTransition):
        extra = {"state": exc.state, "command": exc.command}
    retry_after = getattr(exc, "retry_after", None)  # whole seconds, for 429 and 503
    if isinstance(retry_after, int):
        extra["retry_after"] = retry_after
    response = problem_response(status, error_id, title, detail, **extra)
    if isinstance(retry_after, int):
        response.headers["Retry-After"] = str(retry_after)
    return response


def _http_exception_response(request: web.Request, exc: web.HTTPException) -> web.Response:
    headers = {}
    if isinstance(exc, web.HTTPNotFound):
        error_id, detail = "not-found", f"no resource at {request.path}"
    elif isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = sorted(exc.allowed_methods)
        error_id, detail = "method-not-allowed", f"{request.method} is not allowed here; allowed: {', '.join(allowed)}"
        headers["Allow"] = ",".join(allowed)
    else:
        error_id = exc.reason.lower().replace(" ", "-") or f"http-{exc.status}"
        detail = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
    response = problem_response(exc.status, error_id, exc.reason, detail)
    response.headers.update(headers)
    return response


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _http_exception_response(request, exc)
    except Exception as exc:
        if went_away(request, exc):
            return gone_response(request)
        response = exception_response(exc)
        if response is not None:
            return response
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(500, "internal-error", "Internal server error",
                                "the server could not complete the request; the error has been logged")
