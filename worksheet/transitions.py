"""The lifecycle's transition table (RULES.md §3) and who may issue each command.

`TRANSITIONS[command][from_status]` is the tuple of statuses the command may lead
to; which one is chosen depends on the command's arguments (e.g. a check that
passes or fails) and is decided in `lifecycle.py`. A (command, status) pair not in
the table is an invalid transition.
"""

from __future__ import annotations

from .model import Role, Status, WorkOrder

S = Status

_CLOSABLE = (
    S.REGISTERED, S.DISPATCHED, S.RETURNED, S.HANDLING, S.EXTENSION_REQUESTED,
    S.REPLIED, S.CALLBACK_PENDING, S.UNDER_REVIEW,
)
_SUPERVISED = (S.DISPATCHED, S.HANDLING, S.EXTENSION_REQUESTED)

TRANSITIONS: dict[str, dict[Status, tuple[Status, ...]]] = {
    "create": {},  # creation has no from-state; see lifecycle.create_order
    "confirm": {S.DRAFT: (S.REGISTERED,)},
    "amend-draft": {S.DRAFT: (S.DRAFT,)},
    # A direct answer closes at once or waits for a callback, per preset.
    "answer-directly": {S.REGISTERED: (S.CLOSED, S.CALLBACK_PENDING)},
    "dispatch": {S.REGISTERED: (S.DISPATCHED,)},
    "accept": {S.DISPATCHED: (S.HANDLING,)},
    "return": {S.DISPATCHED: (S.RETURNED,), S.HANDLING: (S.RETURNED,)},
    "redispatch": {S.RETURNED: (S.DISPATCHED,)},
    "request-extension": {S.HANDLING: (S.EXTENSION_REQUESTED,)},
    "decide-extension": {S.EXTENSION_REQUESTED: (S.HANDLING,)},
    # A reply while an extension is pending withdraws the request.
    "reply": {S.HANDLING: (S.REPLIED,), S.EXTENSION_REQUESTED: (S.REPLIED,)},
    "check": {S.REPLIED: (S.CALLBACK_PENDING, S.HANDLING)},
    # Unsatisfied: back to the same unit (HANDLING), or to REGISTERED when there
    # is no unit (a direct answer); a second unsatisfied result goes to review.
    "callback-result": {S.CALLBACK_PENDING: (S.CLOSED, S.HANDLING, S.REGISTERED, S.UNDER_REVIEW)},
    "review": {S.UNDER_REVIEW: (S.CLOSED, S.HANDLING)},
    "close-policy-limited": {s: (S.CLOSED,) for s in _CLOSABLE},
    "merge": {s: (S.MERGED,) for s in (S.DRAFT, S.REGISTERED, S.DISPATCHED, S.RETURNED)},
    "issue-card": {s: (s,) for s in _SUPERVISED},
    "flag-duplicates": {s: (s,) for s in (S.DRAFT, *_CLOSABLE)},
    "dismiss-duplicates": {s: (s,) for s in (S.DRAFT, *_CLOSABLE)},
    # Follow-ups from the caller: any order that is still someone's work.
    "supplement": {s: (s,) for s in (S.DRAFT, *_CLOSABLE)},
    "discard": {S.DRAFT: (S.DISCARDED,)},
    # 退回市级平台 (§3.4): a city transfer outside the district, before a unit handles it — when it is
    # registered, or after a unit returned it as not its duty. Only city transfers (lifecycle checks).
    "return-to-city": {S.REGISTERED: (S.RETURNED_TO_CITY,), S.RETURNED: (S.RETURNED_TO_CITY,)},
}

_PLATFORM = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
_SUPERVISION = frozenset({Role.SUPERVISOR, Role.ADMIN})
_UNIT = frozenset({Role.UNIT_HANDLER, Role.ADMIN})

ROLES: dict[str, frozenset[Role]] = {
    "create": _PLATFORM | {Role.SYSTEM},
    "confirm": _PLATFORM,
    "amend-draft": _PLATFORM | {Role.SYSTEM},
    "answer-directly": _PLATFORM,
    "dispatch": _PLATFORM,
    "redispatch": _PLATFORM,
    "accept": _UNIT,
    "return": _UNIT,
    "request-extension": _UNIT,
    "reply": _UNIT,
    "decide-extension": _SUPERVISION,
    "check": _SUPERVISION,
    "review": _SUPERVISION,
    "close-policy-limited": _SUPERVISION,
    "callback-result": _PLATFORM | {Role.SYSTEM},
    "merge": _PLATFORM,
    "issue-card": frozenset({Role.SYSTEM}),
    "flag-duplicates": frozenset({Role.SYSTEM}),
    "dismiss-duplicates": _PLATFORM,
    "supplement": _PLATFORM | {Role.SYSTEM},
    "discard": _PLATFORM,
    "return-to-city": _PLATFORM,
}

# Commands a unit handler may only issue for an order whose lead unit is theirs.
LEAD_UNIT_COMMANDS = frozenset({"accept", "return", "request-extension", "reply"})


def targets(command: str, status: Status) -> tuple[Status, ...]:
    return TRANSITIONS.get(command, {}).get(status, ())


def allowed_commands(status: Status, role: Role) -> list[str]:
    """What a person with `role` may do next; used by the API and the UI."""
    return [c for c, table in TRANSITIONS.items() if status in table and role in ROLES[c]]


def actions_for(order: WorkOrder, role: Role) -> list[str]:
    """`allowed_commands` for this order: only a transfer from the city can go back to the city."""
    return [c for c in allowed_commands(order.status, role) if c != "return-to-city" or order.city is not None]
