"""Applying events to orders. `replay(events)` rebuilds an order from its history:
the stored row must always equal it (tests check this on both databases)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from .model import (
    CallbackResult,
    Card,
    CardColor,
    Category,
    Channel,
    CityTransfer,
    Clock,
    Closure,
    ClosureReason,
    Enterprise,
    Event,
    Rating,
    Status,
    Urgency,
    WorkOrder,
)


def clock_to_data(c: Clock) -> dict[str, Any]:
    data = {"name": c.name, "kind": c.kind, "start": c.start.isoformat(), "amount": c.amount, "cycle": c.cycle}
    if c.due is not None:  # only set ones: clocks stored before fixed deadlines existed stay as they were
        data["due"] = c.due.isoformat()
    return data


def clock_from_data(d: dict[str, Any]) -> Clock:
    due = datetime.fromisoformat(d["due"]) if d.get("due") else None
    return Clock(d["name"], d["kind"], datetime.fromisoformat(d["start"]), d.get("amount"), d.get("cycle", 0), due)


def city_to_data(c: CityTransfer | None) -> dict[str, Any] | None:
    return None if c is None else {"number": c.number, "due": c.due.isoformat() if c.due else None}


def city_from_data(d: dict[str, Any] | None) -> CityTransfer | None:
    return None if not d else CityTransfer(d["number"], datetime.fromisoformat(d["due"]) if d.get("due") else None)


def enterprise_from_data(d: dict[str, Any]) -> Enterprise:
    return Enterprise(d["name"], d.get("credit_code"), d.get("contact_person"), d.get("phone"))


def _created(_: WorkOrder | None, e: Event) -> WorkOrder:
    d = e.data
    return WorkOrder(
        number=d["number"], channel=Channel(d["channel"]), category=Category(d["category"]),
        urgency=Urgency(d["urgency"]), enterprise=enterprise_from_data(d["enterprise"]),
        subject=d["subject"], content=d["content"], received_at=datetime.fromisoformat(d["received_at"]),
        preset=d["preset"], status=e.to_status, attachments=tuple(d.get("attachments", ())),
        city=city_from_data(d.get("city")),
    )


def _confirm(o: WorkOrder, e: Event) -> WorkOrder:
    changes: dict[str, Any] = dict(e.data.get("changes", {}))
    for key, enum in (("channel", Channel), ("category", Category), ("urgency", Urgency)):
        if key in changes:
            changes[key] = enum(changes[key])
    if "enterprise" in changes:
        changes["enterprise"] = enterprise_from_data(changes["enterprise"])
    if "attachments" in changes:
        changes["attachments"] = tuple(changes["attachments"])
    if "received_at" in changes:
        changes["received_at"] = datetime.fromisoformat(changes["received_at"])
    return replace(o, **changes)


def _answer(o: WorkOrder, e: Event) -> WorkOrder:
    closure = Closure(ClosureReason.DIRECT_ANSWER, e.at, e.data["answer"]) if e.to_status == Status.CLOSED else None
    return replace(o, direct_answer=e.data["answer"], closure=closure)


def _dispatch(o: WorkOrder, e: Event) -> WorkOrder:
    return replace(
        o, lead_unit=e.data["lead_unit"], co_units=tuple(e.data.get("co_units", ())), dispatched_at=e.at,
        extension=None, reply=None, return_reason=None,
    )


def _return(o: WorkOrder, e: Event) -> WorkOrder:
    return replace(o, return_reason=e.data["reason"])


def _request_extension(o: WorkOrder, e: Event) -> WorkOrder:
    return replace(o, extension="requested")


def _decide_extension(o: WorkOrder, e: Event) -> WorkOrder:
    return replace(o, extension="approved" if e.data["approve"] else "denied")


def _reply(o: WorkOrder, e: Event) -> WorkOrder:
    return replace(o, reply=e.data["content"], extension=None if o.extension == "requested" else o.extension)


def _callback(o: WorkOrder, e: Event) -> WorkOrder:
    result = CallbackResult(Rating(e.data["rating"]), e.at, e.note)
    # A direct answer that did not satisfy goes to dispatch; the units' two rounds start afresh.
    counted = result.rating == Rating.UNSATISFIED and e.to_status != Status.REGISTERED
    unsatisfied = o.unsatisfied_count + counted
    closure = Closure(ClosureReason.SATISFIED, e.at) if e.to_status == Status.CLOSED else None
    lead = o.lead_unit if e.to_status != Status.REGISTERED else None
    return replace(o, callbacks=(*o.callbacks, result), unsatisfied_count=unsatisfied, closure=closure, lead_unit=lead)


def _review(o: WorkOrder, e: Event) -> WorkOrder:
    closure = Closure(ClosureReason.REVIEW, e.at, e.data["explanation"]) if e.data["decision"] == "close" else None
    return replace(o, review_decision=e.data["decision"], closure=closure)


def _close_policy_limited(o: WorkOrder, e: Event) -> WorkOrder:
    return replace(o, closure=Closure(ClosureReason.POLICY_LIMITED, e.at, e.data["explanation"]))


def _merge(o: WorkOrder, e: Event) -> WorkOrder:
    return replace(o, merged_into=e.data["into"])


def _card(o: WorkOrder, e: Event) -> WorkOrder:
    d = e.data
    return replace(o, cards=(*o.cards, Card(CardColor(d["color"]), d["unit"], e.at, d["cycle"], d["clock"])))


def _flag(o: WorkOrder, e: Event) -> WorkOrder:
    known = set(o.possible_duplicates)
    return replace(o, possible_duplicates=o.possible_duplicates + tuple(n for n in e.data["numbers"] if n not in known))


def _dismiss(o: WorkOrder, e: Event) -> WorkOrder:
    gone = set(e.data["numbers"])
    return replace(o, possible_duplicates=tuple(n for n in o.possible_duplicates if n not in gone),
                   dismissed_duplicates=o.dismissed_duplicates + tuple(n for n in e.data["numbers"]
                                                                       if n not in o.dismissed_duplicates))


def _nothing(o: WorkOrder, e: Event) -> WorkOrder:
    return o


def _supplement(o: WorkOrder, e: Event) -> WorkOrder:
    added = e.data.get("attachments") or ()
    return replace(o, attachments=(*o.attachments, *added)) if added else o


_APPLY: dict[str, Callable[[Any, Event], WorkOrder]] = {
    "create": _created, "confirm": _confirm, "amend-draft": _confirm, "answer-directly": _answer, "dispatch": _dispatch,
    "redispatch": _dispatch, "accept": _nothing, "return": _return, "request-extension": _request_extension,
    "decide-extension": _decide_extension, "reply": _reply, "check": _nothing, "callback-result": _callback,
    "review": _review, "close-policy-limited": _close_policy_limited, "merge": _merge,
    "issue-card": _card, "flag-duplicates": _flag, "supplement": _supplement,
    "discard": _nothing, "dismiss-duplicates": _dismiss, "return-to-city": _nothing,
}


def evolve(order: WorkOrder | None, event: Event) -> WorkOrder:
    """Apply one event. Events that carry `clocks` replace the running clocks."""
    new = _APPLY[event.type](order, event)
    if "clocks" in event.data:
        new = replace(new, clocks=tuple(clock_from_data(c) for c in event.data["clocks"]))
    if "cycle" in event.data and event.type != "issue-card":
        new = replace(new, cycle=event.data["cycle"])
    return replace(new, status=event.to_status, history=(*new.history, event))


def replay(events: Iterable[Event]) -> WorkOrder:
    order: WorkOrder | None = None
    for event in events:
        order = evolve(order, event)
    if order is None:
        raise ValueError("an order needs at least its creation event")
    return order
