"""HTML form fields → the JSON-shaped command bodies `callcenter.orders.schemas.command` reads.

Forms send only strings; this is the one place that knows which fields are booleans, lists or
numbers, so the pages and the API go through the same validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from callcenter.http.json_body import parse_int
from worksheet.errors import ValidationError

_BOOLS = frozenset({"approve", "passed"})
_LISTS = frozenset({"co_units", "numbers"})
_INTS = frozenset({"amount"})
_DRAFT_FIELDS = ("category", "urgency", "subject", "content")
_ENTERPRISE_FIELDS = ("name", "credit_code", "contact_person", "phone")


def _value(form: Any, key: str) -> Any:
    if key in _LISTS:
        return [str(v) for v in form.getall(key, []) if str(v).strip()]
    raw = str(form.get(key, "")).strip()
    if key in _BOOLS:
        if raw not in ("true", "false"):
            raise ValidationError(f"{key} must be chosen")
        return raw == "true"
    if key in _INTS:
        if not raw:
            return None
        if (number := parse_int(raw)) is None:
            raise ValidationError(f"{key} must be a whole number")
        return number
    return raw


def command_body(action: str, form: Any) -> dict[str, Any]:
    if action in ("confirm", "amend-draft"):
        return {"note": str(form.get("note", "")), "changes": draft_changes(form)}
    skip = {"_csrf", "version", "next"}
    keys = {k for k in form.keys() if k not in skip}
    return {key: _value(form, key) for key in keys}


def draft_changes(form: Mapping[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {f: str(form[f]).strip() for f in _DRAFT_FIELDS if f in form}
    enterprise = {f: str(form.get(f"enterprise_{f}", "")).strip() or None for f in _ENTERPRISE_FIELDS}
    if any(f"enterprise_{f}" in form for f in _ENTERPRISE_FIELDS):
        enterprise["name"] = enterprise["name"] or ""
        changes["enterprise"] = enterprise
    return changes


def expected_version(form: Mapping[str, Any]) -> int | None:
    raw = str(form.get("version", "")).strip()
    if not raw:
        return None
    if (version := parse_int(raw)) is None or version < 0:
        raise ValidationError("version must be a number")
    return version
