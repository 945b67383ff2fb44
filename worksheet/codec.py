"""WorkOrder ↔ JSON-shaped dict (the stored snapshot) and Event ↔ dict. Exact inverses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .evolve import city_from_data, city_to_data, clock_from_data, clock_to_data, enterprise_from_data
from .model import (
    CallbackResult,
    Card,
    CardColor,
    Category,
    Channel,
    Closure,
    ClosureReason,
    Event,
    Rating,
    Role,
    Status,
    Urgency,
    WorkOrder,
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def order_to_dict(o: WorkOrder) -> dict[str, Any]:
    e = o.enterprise
    return {
        "number": o.number, "channel": o.channel.value, "category": o.category.value, "urgency": o.urgency.value,
        "enterprise": {"name": e.name, "credit_code": e.credit_code, "contact_person": e.contact_person, "phone": e.phone},
        "subject": o.subject, "content": o.content, "received_at": o.received_at.isoformat(), "preset": o.preset,
        "status": o.status.value, "attachments": list(o.attachments), "lead_unit": o.lead_unit,
        "co_units": list(o.co_units), "dispatched_at": _iso(o.dispatched_at),
        "clocks": [clock_to_data(c) for c in o.clocks],
        "cards": [{"color": k.color.value, "unit": k.unit, "issued_at": k.issued_at.isoformat(), "cycle": k.cycle,
                   "clock": k.clock} for k in o.cards],
        "callbacks": [{"rating": r.rating.value, "at": r.at.isoformat(), "note": r.note} for r in o.callbacks],
        "unsatisfied_count": o.unsatisfied_count, "cycle": o.cycle, "extension": o.extension, "reply": o.reply,
        "direct_answer": o.direct_answer, "return_reason": o.return_reason, "review_decision": o.review_decision,
        "closure": {"reason": o.closure.reason.value, "at": o.closure.at.isoformat(),
                    "explanation": o.closure.explanation} if o.closure else None,
        "merged_into": o.merged_into, "possible_duplicates": list(o.possible_duplicates),
        "dismissed_duplicates": list(o.dismissed_duplicates), "city": city_to_data(o.city),
    }


def order_from_dict(d: dict[str, Any], history: tuple[Event, ...] | list[Event] = ()) -> WorkOrder:
    closure = d.get("closure")
    return WorkOrder(
        number=d["number"], channel=Channel(d["channel"]), category=Category(d["category"]),
        urgency=Urgency(d["urgency"]), enterprise=enterprise_from_data(d["enterprise"]), subject=d["subject"],
        content=d["content"], received_at=datetime.fromisoformat(d["received_at"]), preset=d["preset"],
        status=Status(d["status"]), attachments=tuple(d["attachments"]), lead_unit=d["lead_unit"],
        co_units=tuple(d["co_units"]), dispatched_at=_dt(d["dispatched_at"]),
        clocks=tuple(clock_from_data(c) for c in d["clocks"]),
        cards=tuple(Card(CardColor(k["color"]), k["unit"], datetime.fromisoformat(k["issued_at"]), k["cycle"], k["clock"])
                    for k in d["cards"]),
        callbacks=tuple(CallbackResult(Rating(r["rating"]), datetime.fromisoformat(r["at"]), r["note"])
                        for r in d["callbacks"]),
        unsatisfied_count=d["unsatisfied_count"], cycle=d["cycle"], extension=d["extension"], reply=d["reply"],
        direct_answer=d["direct_answer"], return_reason=d["return_reason"], review_decision=d["review_decision"],
        closure=Closure(ClosureReason(closure["reason"]), datetime.fromisoformat(closure["at"]), closure["explanation"])
        if closure else None,
        merged_into=d["merged_into"], possible_duplicates=tuple(d["possible_duplicates"]),
        dismissed_duplicates=tuple(d.get("dismissed_duplicates", ())),  # absent from snapshots stored before it
        city=city_from_data(d.get("city")),
        history=tuple(history),
    )


def event_to_dict(e: Event) -> dict[str, Any]:
    return {
        "seq": e.seq, "type": e.type, "at": e.at.isoformat(), "actor": e.actor, "role": e.role.value,
        "from_status": e.from_status.value if e.from_status else None, "to_status": e.to_status.value,
        "note": e.note, "data": dict(e.data),
    }


def event_from_dict(d: dict[str, Any]) -> Event:
    return Event(
        seq=d["seq"], type=d["type"], at=datetime.fromisoformat(d["at"]), actor=d["actor"], role=Role(d["role"]),
        from_status=Status(d["from_status"]) if d.get("from_status") else None, to_status=Status(d["to_status"]),
        note=d.get("note", ""), data=dict(d.get("data") or {}),
    )
