"""Phone numbers masked in what the API returns (pure): revealing one is a separate, audited request.

Numbers sit under known keys (an enterprise's `phone`, a call's `caller`, an extracted
`contact_phone`…), at any depth of an order view or a call record; Asterisk's channel names and
paths carry them too (`Local/13800138000@outbound`, `/rec/call-…`), so those are reduced as well.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from callcenter.http.local_time import FREE_TEXT, local_times
from callcenter.sms.privacy import mask_numbers, mask_phone

PHONE_KEYS = frozenset({"phone", "caller", "contact_phone", "sender", "to_phone", "mobile", "caller_id"})
PATH_KEYS = frozenset({"recordings", "file", "source", "path"})
def _value(key: str, value: Any) -> Any:
    if key in PHONE_KEYS:
        if isinstance(value, str):
            return mask_phone(value) if value else value
        if isinstance(value, dict) and isinstance(value.get("value"), str):  # an extracted field
            return {**value, "value": mask_phone(value["value"])}
        if isinstance(value, list):  # several numbers
            return [mask_phone(v) if isinstance(v, str) and v else masked(v) for v in value]
    if key in PATH_KEYS:
        if isinstance(value, str) and "/" in value:
            return PurePosixPath(value).name
        if isinstance(value, list):
            return [PurePosixPath(v).name if isinstance(v, str) else v for v in value]
    if key == "caller_name" and isinstance(value, str):
        return mask_numbers(value)
    if key == "channels" and isinstance(value, list):
        return [mask_numbers(v) if isinstance(v, str) else v for v in value]
    return masked(value)


def masked(value: Any) -> Any:
    """A copy of a JSON-shaped view with every phone number under a known key masked."""
    if isinstance(value, dict):
        return {k: _value(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


_SPECIAL = PHONE_KEYS | PATH_KEYS | {"caller_name", "channels"}


def masked_local(value: Any, key: str | None = None) -> Any:
    """`local_times(masked(value))` in one walk of the structure (the API's order views are the
    hot path: two walks of every order and its history cost more than the JSON encoding)."""
    if isinstance(value, dict):
        return {k: _masked_local(_value(k, v) if k in _SPECIAL else v, k) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_masked_local(v, key) for v in value]
    return local_times(value, key)


def _masked_local(value: Any, key: str | None) -> Any:
    cls = value.__class__  # the common members answered without another call (see local_time._local)
    if cls is str:
        return value if len(value) < 20 or value[10] != "T" or key in FREE_TEXT else local_times(value, key)
    if cls is int or cls is bool or value is None or cls is float:
        return value
    return masked_local(value, key)
