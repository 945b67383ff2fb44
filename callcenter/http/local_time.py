"""One time convention for every API answer: ISO 8601 with the hotline's own offset (+08:00).

Orders are stamped in Asia/Shanghai while call records, SMS and audit rows are stored in UTC; a
client comparing them, or a person reading them, should not have to know which table a time came
from. So responses are normalised on the way out, in one place: any datetime, and any string that
is exactly an ISO 8601 date-time with an offset (`2026-11-23T02:05:00Z`), is rewritten to the same
instant in Asia/Shanghai (`2026-11-23T10:05:00+08:00`). Free-text fields are left as typed.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

HOTLINE_ZONE = ZoneInfo("Asia/Shanghai")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})")
# What people type: a subject that happens to be a timestamp is still their text.
FREE_TEXT = frozenset({"subject", "content", "text", "body", "note", "answer", "reason", "explanation",
                       "title", "detail", "summary", "name", "q", "query"})


def local_iso(moment: datetime) -> str:
    return moment.astimezone(HOTLINE_ZONE).isoformat()


def _string(text: str) -> str:
    if len(text) < 20 or text[10] != "T" or not _ISO.fullmatch(text):
        return text
    try:
        return local_iso(datetime.fromisoformat(text))
    except ValueError:  # 2026-13-45T…: not a time, leave it as it came
        return text


def local_times(value: Any, key: str | None = None) -> Any:
    """`value` with its times in the hotline's zone (a new structure; the input is not changed)."""
    if isinstance(value, str):
        return value if key in FREE_TEXT else _string(value)
    if isinstance(value, dict):
        return {k: _local(v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_local(v, key) for v in value]
    if isinstance(value, datetime) and value.tzinfo is not None:
        return local_iso(value)
    return value


def _local(value: Any, key: str | None) -> Any:
    # local_times for the members of a structure: a view has hundreds of them, most of them short
    # strings, numbers or None, so those are answered here without another call.
    cls = value.__class__
    if cls is str:
        return value if len(value) < 20 or value[10] != "T" or key in FREE_TEXT else _string(value)
    if cls is int or cls is bool or value is None or cls is float:
        return value
    return local_times(value, key)
