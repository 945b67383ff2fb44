"""Reading request bodies: malformed JSON is a 400, a non-object a 422.

A body is refused (400) before any handler sees it when it nests deeper than MAX_DEPTH (deep
nesting exhausts the parser's recursion, and everything downstream recurses too), holds a number
of more than MAX_NUMBER_DIGITS digits (int() of 5,000 digits raises, and big ones cost quadratic
time), NaN or Infinity (not JSON), or a string no database can store (see `hygiene`).
"""

from __future__ import annotations

import json
import math
from typing import Any

from aiohttp import web

from callcenter.http.hygiene import check_text
from callcenter.http.local_time import local_times
from callcenter.http.masking import masked_local
from callcenter.http.problems import BadRequest
from worksheet.errors import ValidationError

MAX_BODY = 1 << 20
MAX_DEPTH = 32
MAX_NUMBER_DIGITS = 18  # within a signed 64-bit column; fields with a tighter range check it themselves


def _int(text: str) -> int:
    digits = len(text) - text.startswith("-")
    if digits > MAX_NUMBER_DIGITS:
        raise BadRequest(f"a number in the body has {digits} digits; at most {MAX_NUMBER_DIGITS} are accepted",
                         error_id="number-too-large")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if len(text) > 64 or not math.isfinite(value):
        raise BadRequest(f"the number {text[:20]}… is too long or too large", error_id="number-too-large")
    return value


def _constant(name: str) -> Any:
    raise BadRequest(f"{name} is not a JSON value")


def parse_json(raw: bytes) -> Any:
    """The JSON value of ``raw`` within the limits above; BadRequest (400) otherwise."""
    try:
        value = json.loads(raw, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadRequest(f"the body nests deeper than {MAX_DEPTH} levels", error_id="json-too-deep") from None
    _check(value)
    return value


def _check(value: Any) -> None:
    """Depth and text of a parsed value, iteratively (the value itself may be deep)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            check_text(item, "a string in the body")
        elif isinstance(item, dict | list):
            if depth >= MAX_DEPTH:
                raise BadRequest(f"the body nests deeper than {MAX_DEPTH} levels", error_id="json-too-deep")
            if isinstance(item, dict):
                for key in item:
                    check_text(key, "a key in the body")
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)


async def _read(request: web.Request) -> bytes:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise BadRequest("request body is larger than 1 MiB", error_id="body-too-large")
    return await request.read()


async def json_value(request: web.Request) -> Any:
    """The body as any JSON value (an empty body is a 400)."""
    raw = await _read(request)
    if not raw.strip():
        raise BadRequest("a JSON body is required", error_id="bad-request")
    return parse_json(raw)


async def json_object(request: web.Request, *, optional: bool = False) -> dict[str, Any]:
    raw = await _read(request)
    if not raw.strip():
        if optional:
            return {}
        raise BadRequest("a JSON object body is required", error_id="bad-request")
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise ValidationError("body must be a JSON object")
    return body


def query_int(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    value = parse_int(raw)
    if value is None:
        raise ValidationError(f"query parameter {name} must be an integer")
    if not lo <= value <= hi:
        raise ValidationError(f"query parameter {name} must be between {lo} and {hi}")
    return value


def parse_int(raw: str, *, digits: int = MAX_NUMBER_DIGITS) -> int | None:
    """An optionally signed run of ASCII digits (no spaces, underscores or other scripts' digits:
    ``int()`` takes "٣" and "1_0"), of at most ``digits`` digits; None otherwise."""
    body = raw[1:] if raw[:1] in ("-", "+") else raw
    if not body or len(body) > digits or not (body.isascii() and body.isdigit()):
        return None
    return int(raw)


def path_int(request: web.Request, name: str, *, hi: int = 2**31 - 1) -> int | None:
    """A non-negative integer id from the path, or None when it is not one we could have issued
    (ids are 32-bit in PostgreSQL; a bigger number would fail in the database, not be missing)."""
    raw = request.match_info[name]
    value = parse_int(raw, digits=len(str(hi)))
    return value if value is not None and raw[:1].isdigit() and value <= hi else None


def _dumps(value: Any) -> str:
    # Chinese text as UTF-8, not \u escapes: smaller, and readable in logs and curl.
    return json.dumps(value, ensure_ascii=False)


def json_response(data: Any, *, status: int = 200, headers: dict[str, str] | None = None,
                  mask: bool = False) -> web.Response:
    """A JSON answer, its times in the hotline's zone (see local_time: one convention for the API);
    `mask`: its phone numbers masked too, in the same walk (see masking)."""
    view = masked_local(data) if mask else local_times(data)
    return web.json_response(view, status=status, headers=headers, dumps=_dumps)
