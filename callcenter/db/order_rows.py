"""WorkOrder/Event ↔ table rows for callcenter.db.orders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from worksheet.codec import event_from_dict, event_to_dict, order_to_dict
from worksheet.model import CardColor, Event, WorkOrder


def current_card(order: WorkOrder) -> str | None:
    """The highest card colour of the current handling cycle (red > yellow), if any."""
    colors = {k.color for k in order.cards if k.cycle == order.cycle}
    if CardColor.RED in colors:
        return CardColor.RED.value
    return CardColor.YELLOW.value if CardColor.YELLOW in colors else None


def order_row(order: WorkOrder, updated_at: datetime) -> dict[str, Any]:
    """The `orders` columns (without number/created_at): indexed copies plus the snapshot."""
    e = order.enterprise
    return {
        "status": order.status.value, "channel": order.channel.value, "category": order.category.value,
        "urgency": order.urgency.value, "preset": order.preset, "lead_unit": order.lead_unit,
        "co_units": list(order.co_units), "enterprise_name": e.name, "enterprise_phone": e.phone,
        "credit_code": e.credit_code, "subject": order.subject, "content": order.content,
        "received_at": order.received_at, "updated_at": updated_at, "version": order.version,
        "card": current_card(order), "has_cards": bool(order.cards), "snapshot": order_to_dict(order),
    }


def unit_rows(order: WorkOrder) -> list[dict[str, str]]:
    rows = [{"order_number": order.number, "unit_code": order.lead_unit, "role": "lead"}] if order.lead_unit else []
    seen = {order.lead_unit}
    for unit in order.co_units:
        if unit not in seen:
            seen.add(unit)
            rows.append({"order_number": order.number, "unit_code": unit, "role": "co"})
    return rows


def event_row(number: str, e: Event) -> dict[str, Any]:
    return {**event_to_dict(e), "order_number": number, "at": e.at}


def event_from_row(row: Row[Any]) -> Event:
    m = row._mapping
    e = event_from_dict({
        "seq": m["seq"], "type": m["type"], "at": m["at"].isoformat(), "actor": m["actor"], "role": m["role"],
        "from_status": m["from_status"], "to_status": m["to_status"], "note": m["note"], "data": m["data"],
    })
    return replace(e, at=m["at"])  # keep the column's Asia/Shanghai zone, not just its offset


def link_rows(order: WorkOrder, events: Sequence[Event]) -> list[dict[str, str]]:
    """The duplicate_links rows for ``events``: each order this one was flagged as possibly
    duplicating gets this one linked back to it."""
    return [{"order_number": n, "duplicate_number": order.number}
            for e in events if e.type == "flag-duplicates" for n in e.data.get("numbers", ())]


def with_links(order: WorkOrder, linked: str | None) -> WorkOrder:
    """``order`` with the later orders linked to it (``linked``: comma-separated numbers) among
    its possible duplicates; a number someone dismissed on it stays dismissed."""
    return replace(order, linked_duplicates=tuple(sorted(set(linked.split(","))))) if linked else order


def chunks(items: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    """Keep IN (...) lists well below the drivers' bound-parameter limits."""
    return [items[i : i + size] for i in range(0, len(items), size)]
