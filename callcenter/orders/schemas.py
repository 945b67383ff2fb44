"""JSON bodies → domain objects, and orders → JSON. Wrong shapes raise
ValidationError (422) with the field's name; malformed JSON is caught earlier (400)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from worksheet import commands as c
from worksheet.codec import event_to_dict, order_to_dict
from worksheet.deadlines import Policy, pending_reply
from worksheet.errors import ValidationError
from worksheet.intake import NewOrder, aware, parse_enum
from worksheet.model import (
    Actor,
    CardColor,
    Category,
    Channel,
    Enterprise,
    Event,
    Rating,
    Role,
    Urgency,
    WorkOrder,
)
from worksheet.transitions import actions_for


def _get(body: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any = ..., *, label: str = "") -> Any:
    name = label or key
    if key not in body or body[key] is None:
        if default is ...:
            raise ValidationError(f"{name} is required")
        return default
    value = body[key]
    if kind is int and isinstance(value, bool) or not isinstance(value, kind):
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ValidationError(f"{name} must be of type {expected}")
    return value


def _strings(body: dict[str, Any], key: str) -> tuple[str, ...]:
    items = _get(body, key, list, [])
    if not all(isinstance(i, str) for i in items):
        raise ValidationError(f"{key} must be a list of strings")
    return tuple(items)


def parse_datetime(value: Any, name: str) -> datetime:
    """Every date-time a client sends (received_at, from/to, at…): ISO 8601 with an offset, in the
    range `worksheet.intake.aware` accepts; anything else is a 422 naming the field."""
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be an ISO 8601 date-time string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{name} is not a valid ISO 8601 date-time: {value[:40]!r}") from None
    return aware(parsed, name)


def new_order(body: dict[str, Any], now: datetime) -> NewOrder:
    ent = _get(body, "enterprise", dict)
    received = body.get("received_at")
    return NewOrder(
        channel=parse_enum(Channel, _get(body, "channel", str), "channel"),
        category=parse_enum(Category, _get(body, "category", str), "category"),
        urgency=parse_enum(Urgency, _get(body, "urgency", str, "normal"), "urgency"),
        enterprise=Enterprise(
            name=_get(ent, "name", str, "", label="enterprise.name"),
            credit_code=_get(ent, "credit_code", str, None, label="enterprise.credit_code"),
            contact_person=_get(ent, "contact_person", str, None, label="enterprise.contact_person"),
            phone=_get(ent, "phone", str, None, label="enterprise.phone"),
        ),
        subject=_get(body, "subject", str, ""),
        content=_get(body, "content", str, ""),
        received_at=parse_datetime(received, "received_at") if received is not None else now,
        attachments=_strings(body, "attachments"),
        draft=_get(body, "draft", bool, False),
        preset=_get(body, "preset", str, None),
    )


def command(action: str, body: dict[str, Any], actor: Actor) -> c.Command:
    cls = c.PERSON_COMMANDS.get(action)
    if cls is None:
        raise ValidationError(f"unknown action '{action}'; known: {', '.join(sorted(c.PERSON_COMMANDS))}")
    note = _get(body, "note", str, "")
    common: dict[str, Any] = {"actor": actor, "note": note}
    match action:
        case "confirm":
            return c.Confirm(**common, changes=_get(body, "changes", dict, {}))
        case "amend-draft":
            return c.AmendDraft(**common, changes=_get(body, "changes", dict, {}))
        case "answer-directly":
            return c.AnswerDirectly(**common, answer=_get(body, "answer", str))
        case "dispatch" | "redispatch":
            return cls(  # type: ignore[call-arg]
                **common, lead_unit=_get(body, "lead_unit", str), co_units=_strings(body, "co_units"),
                kind=_get(body, "kind", str, None), amount=_get(body, "amount", int, None),
            )
        case "return":
            return c.Return(**common, reason=_get(body, "reason", str), basis=_get(body, "basis", str))
        case "request-extension":
            return c.RequestExtension(**common, reason=_get(body, "reason", str))
        case "decide-extension":
            return c.DecideExtension(**common, approve=_get(body, "approve", bool))
        case "reply":
            return c.Reply(**common, content=_get(body, "content", str))
        case "check":
            return c.Check(**common, passed=_get(body, "passed", bool))
        case "callback-result":
            return c.RecordCallback(**common, rating=parse_enum(Rating, _get(body, "rating", str), "rating"))
        case "review":
            return c.Review(**common, decision=_get(body, "decision", str), explanation=_get(body, "explanation", str),
                            amount=_get(body, "amount", int, None))
        case "close-policy-limited":
            return c.ClosePolicyLimited(**common, explanation=_get(body, "explanation", str))
        case "merge":
            return c.Merge(**common, into=_get(body, "into", str))
        case "discard":
            return c.Discard(**common, reason=_get(body, "reason", str))
        case "return-to-city":
            return c.ReturnToCity(**common, reason=_get(body, "reason", str))
        case "dismiss-duplicates":
            return c.DismissDuplicates(**common, numbers=_strings(body, "numbers"))
        case "supplement":
            return c.AddSupplement(**common, text=_get(body, "text", str), source=_get(body, "source", str, ""))
    return c.Accept(**common)


def event_view(e: Event) -> dict[str, Any]:
    """The stored event shape, with the API's shorter `from`/`to` names."""
    view = event_to_dict(e)
    view["from"], view["to"] = view.pop("from_status"), view.pop("to_status")
    return view


def duplicate_links(order: WorkOrder) -> list[dict[str, str]]:
    """The orders this one may duplicate, each with where to read it (a person merges or dismisses)."""
    return [{"number": n, "href": f"/api/v1/orders/{n}", "page": f"/orders/{n}"} for n in order.suspected_duplicates]


def order_view(order: WorkOrder, policy: Policy, now: datetime, actor: Actor, *, full: bool = True) -> dict[str, Any]:
    view = order_to_dict(order)
    view["version"] = order.version
    view["possible_duplicates"] = list(order.suspected_duplicates)  # with the later orders linked to it
    view["deadlines"] = {}
    for clock in order.clocks:
        d = policy.due(order.preset, clock)
        view["deadlines"][clock.name] = {
            "due": d.due.isoformat(), "provisional": d.provisional, "overdue": d.due < now, "kind": clock.kind,
        }
    if (reply := pending_reply(order, policy)) is not None:
        view["answered"] = {"at": reply.at.isoformat(), "due": reply.deadline.due.isoformat(), "late": reply.late}
    view["card"] = max((k.color for k in order.cards if k.cycle == order.cycle), default=None,
                       key=lambda col: col == CardColor.RED)
    view["allowed_actions"] = actions_for(order, actor.role)
    # What the speech/SMS/fax pipeline suggested for a draft, each field with its confidence and
    # the transcript span (and audio offsets) it came from: the agent checks it at a glance.
    view["suggestion"] = next((e.data["suggestion"] for e in reversed(order.history)
                               if e.type == "amend-draft" and "suggestion" in e.data), None)
    view["duplicate_candidates"] = duplicate_links(order)
    if actor.role == Role.UNIT_HANDLER:  # other orders' numbers, which a unit may not see: not theirs to learn
        view["possible_duplicates"], view["dismissed_duplicates"], view["duplicate_candidates"] = [], [], []
    if full:
        view["history"] = [event_view(e) for e in order.history]
    return view
