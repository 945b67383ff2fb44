"""Typed declarations of the API's query parameters, as OpenAPI 3.1 parameter objects.

A query string is all text, but what a handler accepts is not: `limit` is an integer in a range,
`overdue` a boolean, `status` one of the domain's values. Each parameter is declared once here with
its type, bounds, allowed values and an example, from the same constants the handlers validate
against (the domain's enums, the handlers' ranges), and tests/test_openapi.py calls every endpoint at
the edges of each declaration so a handler and its description cannot drift apart. A string that
really is free text must say so (`free_text`, with the reason).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


@dataclass(frozen=True)
class QueryParam:
    name: str
    schema: dict[str, Any]
    description: str
    example: Any = None
    extra: dict[str, Any] = field(default_factory=dict)  # style/explode for lists

    def to_openapi(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "in": "query", "required": False,
                               "description": self.description, "schema": self.schema, **self.extra}
        if self.example is not None:
            out["example"] = self.example
        return out


def integer(name: str, *, default: int, lo: int, hi: int, description: str) -> QueryParam:
    return QueryParam(name, {"type": "integer", "minimum": lo, "maximum": hi, "default": default},
                      description, example=min(max(default, lo), hi) or lo)


def page(*, limit: int, max_limit: int, min_limit: int = 1, max_offset: int = 10**9) -> tuple[QueryParam, ...]:
    """`limit` and `offset` of a list (the handlers' query_int bounds)."""
    return (integer("limit", default=limit, lo=min_limit, hi=max_limit, description="how many items at most"),
            integer("offset", default=0, lo=0, hi=max_offset, description="how many items to skip"))


def boolean(name: str, description: str) -> QueryParam:
    return QueryParam(name, {"type": "boolean"}, f"{description} (`true`/`false`; `1`/`0` and `yes`/`no` too)",
                      example=True)


def choice(name: str, values: Iterable[str | Enum], description: str, *, many: bool = False) -> QueryParam:
    """One of `values`; with `many`, a comma-separated list of them (`status=dispatched,handling`)."""
    allowed = [v.value if isinstance(v, Enum) else v for v in values]
    one = {"type": "string", "enum": allowed}
    if not many:
        return QueryParam(name, one, description, example=allowed[0])
    return QueryParam(name, {"type": "array", "items": one}, description + " (comma-separated)",
                      example=allowed[:2], extra={"style": "form", "explode": False})


def date_time(name: str, description: str) -> QueryParam:
    return QueryParam(name, {"type": "string", "format": "date-time"},
                      description + " (ISO 8601; without an offset: Asia/Shanghai)", example="2026-11-01T00:00:00+08:00")


def pattern(name: str, regex: str, description: str, example: str) -> QueryParam:
    return QueryParam(name, {"type": "string", "pattern": regex}, description, example=example)


def free_text(name: str, description: str, *, why: str, example: str) -> QueryParam:
    """A string that is really text: `why` says so in the document (x-free-text)."""
    return QueryParam(name, {"type": "string", "x-free-text": why}, description, example=example)


def typed(param: dict[str, Any]) -> bool:
    """Whether a parameter object says more than `string`: a type, values, a format, a pattern, or why not."""
    schema = param.get("schema", {})
    if schema.get("type") != "string":
        return True
    return any(k in schema for k in ("enum", "format", "pattern", "x-free-text"))
