"""Confirming a draft: the agent's edits, validated like a new order."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .attachments import attachment_ids
from .errors import ValidationError
from .intake import NewOrder, parse_enum, validate
from .model import Category, Channel, Enterprise, Urgency, WorkOrder

EDITABLE = frozenset({"channel", "category", "urgency", "enterprise", "subject", "content", "attachments", "received_at"})


def confirmed_changes(order: WorkOrder, changes: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Return the JSON-shaped changes to record; the result must be a complete order."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError(f"fields that cannot be edited on confirm: {', '.join(sorted(unknown))}")
    ent = changes.get("enterprise")
    if ent is not None and not isinstance(ent, dict):
        raise ValidationError("enterprise must be an object")
    merged_ent = {
        "name": order.enterprise.name, "credit_code": order.enterprise.credit_code,
        "contact_person": order.enterprise.contact_person, "phone": order.enterprise.phone, **(ent or {}),
    }
    received = changes.get("received_at", order.received_at)
    if isinstance(received, str):
        try:
            received = datetime.fromisoformat(received)
        except ValueError:
            raise ValidationError("received_at must be an ISO 8601 date-time") from None
    attachments = attachment_ids(changes.get("attachments", order.attachments))
    spec = validate(
        NewOrder(
            channel=parse_enum(Channel, changes.get("channel", order.channel), "channel"),
            category=parse_enum(Category, changes.get("category", order.category), "category"),
            urgency=parse_enum(Urgency, changes.get("urgency", order.urgency), "urgency"),
            enterprise=Enterprise(**{k: merged_ent.get(k) for k in ("name", "credit_code", "contact_person", "phone")}),
            subject=changes.get("subject", order.subject), content=changes.get("content", order.content),
            received_at=received, attachments=attachments,
        ),
        now,
    )
    e = spec.enterprise
    return {
        "channel": spec.channel.value, "category": spec.category.value, "urgency": spec.urgency.value,
        "enterprise": {"name": e.name, "credit_code": e.credit_code, "contact_person": e.contact_person, "phone": e.phone},
        "subject": spec.subject, "content": spec.content, "received_at": spec.received_at.isoformat(),
        "attachments": list(spec.attachments),
    }
