"""The lifecycle as one pure function: (command, order, now) → (order, events).

`decide` checks the transition table, the actor's role and unit, and the
command's own rules (return window, required reasons), then builds the event;
`evolve` applies it. Nothing here reads the clock or does I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import commands as c
from .attachments import attachment_ids
from .confirm import confirmed_changes
from .deadlines import Policy
from .errors import InvalidTransition, NotPermitted, ValidationError, WindowClosed
from .evolve import city_to_data, clock_to_data, evolve
from .intake import NewOrder, aware, text, validate
from .model import Actor, Category, Clock, Event, Rating, Role, Status, Urgency, WorkOrder
from .transitions import LEAD_UNIT_COMMANDS, ROLES, targets


def create_order(spec: NewOrder, number: str, actor: Actor, now: datetime, policy: Policy) -> tuple[WorkOrder, list[Event]]:
    if actor.role not in ROLES["create"]:
        raise NotPermitted(f"role '{actor.role}' may not create orders")
    spec = validate(spec, aware(now, "now"))
    preset = policy.preset(spec.preset).name
    e = spec.enterprise
    data = {
        "number": number, "channel": spec.channel.value, "category": spec.category.value,
        "urgency": spec.urgency.value, "subject": spec.subject, "content": spec.content,
        "enterprise": {"name": e.name, "credit_code": e.credit_code, "contact_person": e.contact_person, "phone": e.phone},
        "received_at": spec.received_at.isoformat(), "preset": preset, "attachments": list(spec.attachments),
        **({"extra": spec.extra} if spec.extra else {}),
        **({"city": city_to_data(spec.city)} if spec.city else {}),
    }
    status = Status.DRAFT if spec.draft else Status.REGISTERED
    event = _event(None, "create", actor, now, None, status, "", data)
    order = evolve(None, event)
    return order, [event]


def handle(command: c.Command, order: WorkOrder, now: datetime, policy: Policy) -> tuple[WorkOrder, list[Event]]:
    """Apply a command; raise a typed error naming state and command if it is not allowed."""
    aware(now, "now")
    if not targets(command.name, order.status):
        raise InvalidTransition(order.status.value, command.name)
    _authorise(command, order)
    to, data = _DECIDE[command.name](command, order, now, policy)
    if to not in targets(command.name, order.status):  # the table is the single source of truth
        raise InvalidTransition(order.status.value, command.name)
    event = _event(order, command.name, command.actor, now, order.status, to, command.note, data)
    return evolve(order, event), [event]


def _event(
    order: WorkOrder | None, kind: str, actor: Actor, now: datetime,
    frm: Status | None, to: Status, note: str, data: dict[str, Any],
) -> Event:
    seq = order.version + 1 if order else 1
    return Event(seq, kind, now, actor.id, actor.role, frm, to, text(note, "note", required=False), data)


def _authorise(command: c.Command, order: WorkOrder) -> None:
    actor = command.actor
    if actor.role not in ROLES[command.name]:
        raise NotPermitted(f"role '{actor.role}' may not '{command.name}'")
    if actor.role == Role.UNIT_HANDLER and command.name in LEAD_UNIT_COMMANDS and actor.unit != order.lead_unit:
        raise NotPermitted(f"only the lead unit may '{command.name}' this order")


# --- helpers -----------------------------------------------------------------

def _clock(name: str, kind: str, start: datetime, cycle: int, amount: int | None = None,
           due: datetime | None = None) -> dict[str, Any]:
    return clock_to_data(Clock(name, kind, start, amount, cycle, due))


def _handling_kind(cmd: c.Dispatch, order: WorkOrder, policy: Policy) -> str:
    preset = policy.preset(order.preset)
    if cmd.kind:
        if cmd.kind not in preset.handling_kinds and cmd.kind != preset.urgent_kind:
            raise ValidationError(
                f"kind '{cmd.kind}' is not a handling kind of preset {preset.name}: {', '.join(preset.handling_kinds)}"
            )
        return cmd.kind
    if order.urgency == Urgency.URGENT and preset.urgent_kind:
        return preset.urgent_kind
    return preset.handling_kinds[0]


def _redo_clocks(order: WorkOrder, now: datetime, policy: Policy, amount: int | None = None) -> dict[str, Any]:
    """Back to the same unit with a redo deadline (e.g. 5 working days), a new cycle."""
    preset = policy.preset(order.preset)
    current = order.clock("handling")
    kind = preset.redo_kind or (current.kind if current else preset.handling_kinds[0])
    if amount is not None:
        preset.limit(kind).resolve(amount)
    elif preset.redo_kind is None and current is not None:
        amount = current.amount
    cycle = order.cycle + 1
    return {"cycle": cycle, "clocks": [_clock("handling", kind, now, cycle, amount)]}


# --- one decision per command ------------------------------------------------

Decision = tuple[Status, dict[str, Any]]


def _confirm(cmd: c.Confirm, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    return Status.REGISTERED, {"changes": confirmed_changes(order, cmd.changes, now)}


def _amend(cmd: c.AmendDraft, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    data: dict[str, Any] = {"changes": confirmed_changes(order, cmd.changes, now)}
    if cmd.suggestion:
        data["suggestion"] = cmd.suggestion
    return Status.DRAFT, data


def _answer(cmd: c.AnswerDirectly, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    if order.category != Category.CONSULTATION:
        raise InvalidTransition(order.status.value, cmd.name, "only consultations (咨询) can be answered directly")
    closes = policy.preset(order.preset).direct_answer_closes
    return (Status.CLOSED if closes else Status.CALLBACK_PENDING), {"answer": text(cmd.answer, "answer")}


def _dispatch(cmd: c.Dispatch, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    lead = text(cmd.lead_unit, "lead_unit", limit=100)
    co = tuple(dict.fromkeys(text(u, "co_units[]", limit=100) for u in cmd.co_units if u != lead))
    preset = policy.preset(order.preset)
    kind = _handling_kind(cmd, order, policy)
    amount = cmd.amount
    if amount is not None:
        preset.limit(kind).resolve(amount)
    cycle = order.cycle + 1
    # A transfer from the city keeps the city's deadline, whatever the local preset would give.
    city_due = order.city.due if order.city else None
    clocks = [_clock("handling", kind, now, cycle, amount, city_due)]
    if preset.return_kind:
        clocks.append(_clock("return", preset.return_kind, now, cycle))
    clocks += [_clock(name, k, now, cycle) for name, k in preset.dispatch_clocks.items()]
    return Status.DISPATCHED, {"lead_unit": lead, "co_units": list(co), "kind": kind, "cycle": cycle, "clocks": clocks}


def _accept(cmd: c.Accept, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    return Status.HANDLING, {}


def _return(cmd: c.Return, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    window = order.clock("return")
    if window is None and policy.preset(order.preset).return_kind:
        # Redo cycles (after a failed check or an unsatisfied callback) start no return window:
        # the unit has already handled the order as its own.
        raise WindowClosed(order.status.value, cmd.name, "a return is only possible within the window after dispatch")
    if window is not None:
        due = policy.due(order.preset, window)
        if now > due.due:
            raise WindowClosed(order.status.value, cmd.name, f"the return window ended at {due.due.isoformat()}")
    data: dict[str, Any] = {"reason": text(cmd.reason, "reason"), "basis": text(cmd.basis, "basis"), "unit": order.lead_unit}
    preset = policy.preset(order.preset)
    data["clocks"] = [_clock("redispatch", preset.redispatch_kind, now, order.cycle)] if preset.redispatch_kind else []
    return Status.RETURNED, data


def _request_extension(cmd: c.RequestExtension, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    if policy.preset(order.preset).extension_kind is None:
        raise InvalidTransition(order.status.value, cmd.name, f"preset {order.preset} has no extension")
    if order.extension == "approved":
        raise InvalidTransition(order.status.value, cmd.name, "an extension was already approved in this cycle")
    if (clock := order.clock("handling")) is not None and clock.due is not None:
        raise InvalidTransition(order.status.value, cmd.name,
                                "the deadline was set by the city platform: only the city can extend it")
    return Status.EXTENSION_REQUESTED, {"reason": text(cmd.reason, "reason")}


def _decide_extension(cmd: c.DecideExtension, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    data: dict[str, Any] = {"approve": bool(cmd.approve)}
    current = order.clock("handling")
    if cmd.approve and current is not None:
        # Yicheng: 14 working days in total, the first 7 included — same start.
        kind = policy.preset(order.preset).extension_kind
        others = [clock_to_data(k) for k in order.clocks if k.name != "handling"]
        data["clocks"] = [_clock("handling", kind, current.start, current.cycle), *others]
    return Status.HANDLING, data


def _reply(cmd: c.Reply, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    # The feedback stops the unit's clocks; what was due is kept in history.
    return Status.REPLIED, {"content": text(cmd.content, "content"), "clocks": []}


def _check(cmd: c.Check, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    if cmd.passed:
        return Status.CALLBACK_PENDING, {"passed": True}
    text(cmd.note, "note")  # a failed check must say why
    return Status.HANDLING, {"passed": False, **_redo_clocks(order, now, policy)}


def _callback(cmd: c.RecordCallback, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    rating = Rating(cmd.rating)
    if rating != Rating.UNSATISFIED:
        return Status.CLOSED, {"rating": rating.value}
    if order.lead_unit is None:  # a direct answer did not satisfy: dispatch it
        return Status.REGISTERED, {"rating": rating.value, "clocks": []}
    if order.unsatisfied_count >= 1:
        return Status.UNDER_REVIEW, {"rating": rating.value, "clocks": []}
    return Status.HANDLING, {"rating": rating.value, **_redo_clocks(order, now, policy)}


def _review(cmd: c.Review, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    explanation = text(cmd.explanation, "explanation")
    if cmd.decision == "close":
        return Status.CLOSED, {"decision": "close", "explanation": explanation}
    if cmd.decision == "redo":
        return Status.HANDLING, {"decision": "redo", "explanation": explanation, **_redo_clocks(order, now, policy, cmd.amount)}
    raise ValidationError("decision must be 'close' or 'redo'")


def _close_policy_limited(cmd: c.ClosePolicyLimited, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    return Status.CLOSED, {"explanation": text(cmd.explanation, "explanation"), "clocks": []}


def _merge(cmd: c.Merge, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    into = text(cmd.into, "into", limit=40)
    if into == order.number:
        raise ValidationError("an order cannot be merged into itself")
    return Status.MERGED, {"into": into, "clocks": []}


def _supplement(cmd: c.AddSupplement, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    data: dict[str, Any] = {"text": text(cmd.text, "text")}
    if cmd.source:
        data["source"] = text(cmd.source, "source", limit=100)
    if cmd.attachments:
        added = [a for a in attachment_ids(cmd.attachments) if a not in order.attachments]
        attachment_ids([*order.attachments, *added])  # the order's limit holds for the whole order
        data["attachments"] = added
    return order.status, data


def _return_to_city(cmd: c.ReturnToCity, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    if order.city is None:
        raise InvalidTransition(order.status.value, cmd.name,
                                "only an order transferred from the city platform can be returned to it")
    return Status.RETURNED_TO_CITY, {"reason": text(cmd.reason, "reason"), "city_number": order.city.number,
                                     "clocks": []}


def _discard(cmd: c.Discard, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    return Status.DISCARDED, {"reason": text(cmd.reason, "reason")}


def _issue_card(cmd: c.IssueCard, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    if any(k.color == cmd.color and k.cycle == cmd.cycle and k.clock == cmd.clock for k in order.cards):
        raise InvalidTransition(order.status.value, cmd.name, "this card was already issued")
    return order.status, {"color": cmd.color.value, "clock": cmd.clock, "cycle": cmd.cycle, "unit": order.lead_unit}


def _flag(cmd: c.FlagDuplicates, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    # A number a person dismissed stays dismissed: a later re-check must not bring it back.
    ruled_out = {order.number, *order.dismissed_duplicates}
    return order.status, {"numbers": [n for n in cmd.numbers if n not in ruled_out]}


def _dismiss(cmd: c.DismissDuplicates, order: WorkOrder, now: datetime, policy: Policy) -> Decision:
    numbers = list(dict.fromkeys(n.strip() for n in cmd.numbers))
    if not numbers:
        raise ValidationError("numbers: at least one order number is required")
    for n in numbers:
        if n not in order.suspected_duplicates:
            raise ValidationError(f"order {n} is not flagged as a possible duplicate of this order")
    return order.status, {"numbers": numbers}


_DECIDE: dict[str, Callable[[Any, WorkOrder, datetime, Policy], Decision]] = {
    "confirm": _confirm, "amend-draft": _amend, "answer-directly": _answer, "dispatch": _dispatch, "redispatch": _dispatch,
    "accept": _accept, "return": _return, "request-extension": _request_extension,
    "decide-extension": _decide_extension, "reply": _reply, "check": _check, "callback-result": _callback,
    "review": _review, "close-policy-limited": _close_policy_limited, "merge": _merge,
    "issue-card": _issue_card, "flag-duplicates": _flag, "supplement": _supplement,
    "discard": _discard, "dismiss-duplicates": _dismiss, "return-to-city": _return_to_city,
}

