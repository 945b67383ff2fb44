"""Deadlines derived on read from an order's running clocks.

Orders store *clocks* (kind and start), never due times, so a calendar update
(new holiday data, a deployment override) recomputes every open order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from .calendar import WorkingCalendar
from .errors import UnknownPreset
from .evolve import evolve
from .model import Clock, Status, Urgency, WorkOrder
from .sla import Deadline, SlaPreset


@dataclass(frozen=True)
class Policy:
    """The deployment's rules: its calendar and the SLA presets orders may use."""

    calendar: WorkingCalendar
    presets: Mapping[str, SlaPreset]
    default_preset: str

    def __post_init__(self) -> None:
        self.preset(self.default_preset)

    def preset(self, name: str | None = None) -> SlaPreset:
        key = name or self.default_preset
        try:
            return self.presets[key]
        except KeyError:
            raise UnknownPreset(f"unknown SLA preset '{key}'; known: {', '.join(sorted(self.presets))}") from None

    def due(self, preset: str, clock: Clock) -> Deadline:
        if clock.due is not None:  # set from outside (the city platform): not the preset's to compute
            return Deadline(clock.due, False)
        return self.preset(preset).due(clock.kind, clock.start, self.calendar, clock.amount)


def deadlines(order: WorkOrder, policy: Policy) -> dict[str, Deadline]:
    return {c.name: policy.due(order.preset, c) for c in order.clocks}


def handling_deadline(order: WorkOrder, policy: Policy) -> Deadline | None:
    clock = order.clock("handling")
    return policy.due(order.preset, clock) if clock else None


def expected_answer(order: WorkOrder, policy: Policy, now: datetime) -> Deadline:
    """The date the caller is told to expect an answer by (the 受理 SMS).

    A dispatched order has its handling clock. A just-registered one has none yet, so the promise
    is what the default handling limit (the urgent one for urgent orders) gives from ``now``; a
    dispatch later the same day starts the real clock with the same result.
    """
    clock = order.clock("handling")
    if clock is not None:
        return policy.due(order.preset, clock)
    if order.city is not None and order.city.due is not None:  # the city's deadline wins
        return Deadline(order.city.due, False)
    preset = policy.preset(order.preset)
    urgent = order.urgency == Urgency.URGENT and preset.urgent_kind
    kind = preset.urgent_kind if urgent else preset.handling_kinds[0]
    assert kind is not None
    return preset.due(kind, now, policy.calendar)


@dataclass(frozen=True, slots=True)
class Feedback:
    """A unit's feedback (a reply, or a closure that stopped a running handling clock) and the
    handling deadline in force at that moment."""

    at: datetime
    deadline: Deadline

    @property
    def late(self) -> bool:
        return self.at > self.deadline.due


def feedbacks(order: WorkOrder, policy: Policy) -> list[Feedback]:
    """Every feedback of the order, oldest first, each with the deadline it answered to.

    A reply stops the clocks (lifecycle `_reply`), so the deadline is not on the order any more: it
    is recovered by replaying the history and asking, just before each feedback, what the running
    handling clock was due (approved extensions and redo clocks included).
    """
    state: WorkOrder | None = None
    found: list[Feedback] = []
    for event in order.history:
        if state is not None and (event.type == "reply" or event.to_status == Status.CLOSED):
            clock = state.clock("handling")
            if clock is not None:
                found.append(Feedback(event.at, policy.due(state.preset, clock)))
        state = evolve(state, event)
    return found


def pending_reply(order: WorkOrder, policy: Policy) -> Feedback | None:
    """For an order whose reply awaits the platform's check (已答复待审核): that reply and the
    deadline it answered to, which the order's (stopped) clocks no longer show."""
    if order.status != Status.REPLIED:
        return None
    found = feedbacks(order, policy)
    return found[-1] if found else None
