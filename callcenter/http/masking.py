"""Phone numbers masked in what the API returns (pure): revealing one is a separate, audited request.

Numbers sit under known keys (an enterprise's `phone`, a call's `caller`, an extracted
`contact_phone`…), at any depth of an order view or a call record; Asterisk's channel names and
paths carry them too (`Local/13800138000@outbound`, `/rec/call-…`), so those are reduced as well.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from callcenter.sms.privacy import mask_numbers, mask_phone

PHONE_KEYS = frozenset({"phone", "caller", "contact_phone", "sender", "to_phone", "mobile", "caller_id"})
PATH_KEYS = frozenset({"recordings", "file", "source", "path"})
def _value(key: str, value: Any) -> Any:
    if key in PHONE_KEYS:
        if isinstance(value, str):
            return mask_phone(value) if value else value
        if isinstance(value, dict) and isinstance(value.get("value"), str):  # an extracted field
            return {**value, "value": mask_phone(value["value"])}
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
