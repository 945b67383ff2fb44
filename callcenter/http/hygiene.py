"""Request hygiene: text no database can store is refused at the door, for every route.

PostgreSQL cannot store NUL in text and no UTF-8 encoder takes a lone surrogate, so such a
character deep in a query would fail as a 500 far from where it came in. The middleware checks
what aiohttp decodes for every handler — path parameters, query keys and values, form fields
(and a form that cannot be decoded at all) — and JSON bodies are checked where they are parsed
(`json_body`). Pages show the refusal as a Chinese error page (`web.errors`), the API as
problem+json with error_id ``invalid-characters``.

A handler that must keep what it was sent (a signed webhook: the signature covers the raw form)
is marked with `raw_form` and cleans the fields itself with `remove_unstorable`. A path segment
longer than any file name is a 404 before routing reaches the file system.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from aiohttp import web

from callcenter.http.problems import BadRequest

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Callable[..., Any])
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_RAW_FORM = "_zhitong_raw_form"
_STREAMED_FORM = "_zhitong_streamed_form"
MAX_SEGMENT = 255


class InvalidText(BadRequest):
    """400: the request carries characters that cannot be stored (NUL, lone surrogates)."""

    error_id = "invalid-characters"
    title = "Invalid characters in the request"


def raw_form(handler: H) -> H:
    """Mark a handler that reads its form unchecked (it must clean the fields itself)."""
    setattr(handler, _RAW_FORM, True)
    return handler


def streamed_form(handler: H) -> H:
    """Mark a page handler that streams its multipart form (files) itself: nobody may buffer it
    first, and the handler checks the CSRF token and text fields as they arrive (web.uploads)."""
    setattr(handler, _STREAMED_FORM, True)
    return handler


def is_streamed_form(request: web.Request) -> bool:
    return request.content_type == _FORM_TYPES[1] and getattr(request.match_info.handler, _STREAMED_FORM, False)


def unstorable(text: str) -> bool:
    return UNSTORABLE.search(text) is not None


def remove_unstorable(text: str) -> tuple[str, int]:
    """``text`` without NUL and lone surrogates, and how many were removed."""
    return UNSTORABLE.subn("", text)


def check_text(text: str, where: str) -> None:
    if UNSTORABLE.search(text) is not None:
        raise InvalidText(f"{where} contains a NUL character or a lone surrogate")


def _check_pairs(pairs: Iterable[tuple[str, Any]], where: str) -> None:
    for key, value in pairs:
        check_text(key, f"the name of a {where}")
        if isinstance(value, str):
            check_text(value, f"{where} {key!r}")


async def _check_form(request: web.Request, *, text: bool) -> None:
    """Read the form (aiohttp caches it for the handler) and check its text fields. API multipart
    bodies are left to their handler, which may stream an upload rather than buffer it."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.content_type not in _FORM_TYPES:
        return
    if request.content_type != _FORM_TYPES[0] and (request.path.startswith("/api/") or is_streamed_form(request)):
        return
    try:
        form = await request.post()
    except (UnicodeDecodeError, LookupError, ValueError, AssertionError):
        # Bytes that are not UTF-8, an unknown charset, a multipart body without a boundary.
        raise InvalidText("the form could not be decoded", error_id="malformed-form") from None
    if text:
        _check_pairs(form.items(), "form field")


@web.middleware
async def request_hygiene_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if any(len(segment) > MAX_SEGMENT for segment in request.path.split("/")):
        raise web.HTTPNotFound()  # names no file (NAME_MAX) and no object; the static route would fail
    _check_pairs(request.match_info.items(), "path parameter")
    _check_pairs(request.query.items(), "query parameter")
    await _check_form(request, text=not getattr(request.match_info.handler, _RAW_FORM, False))
    return await handler(request)
