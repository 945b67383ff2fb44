"""Interface v1's JSON bodies (pure): a transfer in, the answer out. docs/city-platform.md is the spec."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from callcenter.orders import schemas
from worksheet.errors import ValidationError
from worksheet.intake import NewOrder
from worksheet.model import Channel, CityTransfer, WorkOrder

API_VERSION = "1"
CITY_ORDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
REQUIRED = ("city_order_id", "received_at", "category", "subject", "content", "enterprise")
OPTIONAL = ("deadline", "urgency")
ENTERPRISE_FIELDS = ("name", "credit_code", "contact_person", "phone")


@dataclass(frozen=True)
class Transfer:
    city_order_id: str
    spec: NewOrder
    digest: str  # SHA-256 of the canonical body: a retry must carry the same content


def parse_transfer(body: Any, now: datetime) -> Transfer:
    """A validated transfer, or ValidationError (422) naming the field. Unknown fields are refused:
    v1 is strict, so a misspelt field is an error rather than silently dropped."""
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object")
    unknown = sorted(set(body) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(unknown)[:200]}")
    missing = [k for k in REQUIRED if body.get(k) is None]
    if missing:
        raise ValidationError(f"{missing[0]} is required")
    city_id = body["city_order_id"]
    if not isinstance(city_id, str) or not CITY_ORDER_ID.match(city_id):
        raise ValidationError("city_order_id must be 1–64 letters, digits or . _ : - (starting with a letter or digit)")
    enterprise = body["enterprise"]
    if not isinstance(enterprise, dict) or set(enterprise) - set(ENTERPRISE_FIELDS):
        raise ValidationError(f"enterprise must be an object with only: {', '.join(ENTERPRISE_FIELDS)}")
    deadline = body.get("deadline")
    due = schemas.parse_datetime(deadline, "deadline") if deadline is not None else None
    spec = schemas.new_order({**{k: body[k] for k in ("category", "subject", "content", "enterprise", "received_at")},
                              "urgency": body.get("urgency") or "normal", "channel": Channel.CITY_PLATFORM.value},
                             now)
    spec = replace(spec, city=CityTransfer(city_id, due))
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return Transfer(city_id, spec, hashlib.sha256(canonical.encode()).hexdigest())


def transfer_view(order: WorkOrder, *, created: bool) -> dict[str, Any]:
    """The answer to a transfer (and to its retries): our number and where the order stands."""
    city = order.city
    return {
        "api_version": API_VERSION, "city_order_id": city.number if city else None, "order_number": order.number,
        "status": order.status.value, "received_at": order.received_at.isoformat(),
        "deadline": city.due.isoformat() if city and city.due else None, "created": created,
    }
