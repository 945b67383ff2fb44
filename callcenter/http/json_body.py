"""Reading request bodies: malformed JSON is a 400, a non-object a 422."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from callcenter.http.problems import BadRequest
from worksheet.errors import ValidationError

MAX_BODY = 1 << 20


async def json_object(request: web.Request, *, optional: bool = False) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise BadRequest("request body is larger than 1 MiB", error_id="body-too-large")
    raw = await request.read()
    if not raw.strip():
        if optional:
            return {}
        raise BadRequest("a JSON object body is required", error_id="bad-request")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ValidationError("body must be a JSON object")
    return body


def query_int(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"query parameter {name} must be an integer") from None
    if not lo <= value <= hi:
        raise ValidationError(f"query parameter {name} must be between {lo} and {hi}")
    return value


def _dumps(value: Any) -> str:
    # Chinese text as UTF-8, not \u escapes: smaller, and readable in logs and curl.
    return json.dumps(value, ensure_ascii=False)


def json_response(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(data, status=status, headers=headers, dumps=_dumps)
