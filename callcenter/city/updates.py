"""Which order events the city hears about, and what it is told (pure).

One update per event and kind, keyed ``<order>:e<seq>:<kind>``, so planning an event twice (a
retry, the start-up reconcile) queues it once. The kinds (docs/city-platform.md):

- ``accepted``: the transfer was registered here (its creation);
- ``replied``: the answer to the enterprise — a unit's reply that passed the platform's check, or
  a direct answer from the knowledge base;
- ``closed``: the order was closed here (办结), with why — or merged into another order on the same
  matter (``merged``, with that order's number);
- ``returned``: 退回市级平台, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from worksheet.model import Event, Status, WorkOrder

from .schema import API_VERSION

KINDS = ("accepted", "replied", "closed", "returned")
CLOSURE_REASON = {"callback-result": "satisfied", "review": "review", "close-policy-limited": "policy_limited",
                  "answer-directly": "direct_answer", "merge": "merged"}


@dataclass(frozen=True)
class CityUpdate:
    event_id: str
    kind: str
    order_number: str
    city_order_id: str
    payload: dict[str, Any]


def updates_for_event(order: WorkOrder, event: Event) -> list[CityUpdate]:
    if order.city is None:
        return []
    found: list[tuple[str, dict[str, Any]]] = []
    if event.type == "create":
        found.append(("accepted", {"deadline": order.city.due.isoformat() if order.city.due else None}))
    if event.type == "check" and event.to_status == Status.CALLBACK_PENDING:
        found.append(("replied", {"reply": _reply_before(order, event.seq)}))
    if event.type == "answer-directly":
        found.append(("replied", {"reply": event.data.get("answer", "")}))
    if event.to_status == Status.CLOSED and event.from_status != Status.CLOSED:
        found.append(("closed", {"closure_reason": CLOSURE_REASON.get(event.type, event.type),
                                 "explanation": event.data.get("explanation") or event.data.get("answer") or ""}))
    if event.type == "merge":  # handled as part of another order: the city learns which
        found.append(("closed", {"closure_reason": "merged", "explanation": "", "merged_into": event.data["into"]}))
    if event.type == "return-to-city":
        found.append(("returned", {"reason": event.data.get("reason", "")}))
    return [_update(order, event, kind, extra) for kind, extra in found]


def _reply_before(order: WorkOrder, seq: int) -> str:
    """The unit's reply the check passed: the newest reply event before it (a redo replies again)."""
    return next((e.data.get("content", "") for e in reversed(order.history[: seq - 1]) if e.type == "reply"), "")


def _update(order: WorkOrder, event: Event, kind: str, extra: dict[str, Any]) -> CityUpdate:
    assert order.city is not None
    event_id = f"{order.number}:e{event.seq}:{kind}"
    payload = {"api_version": API_VERSION, "event_id": event_id, "type": kind, "city_order_id": order.city.number,
               "order_number": order.number, "sequence": event.seq, "occurred_at": event.at.isoformat(),
               "status": event.to_status.value, **extra}
    return CityUpdate(event_id, kind, order.number, order.city.number, payload)
