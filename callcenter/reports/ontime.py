"""按时办结: was a closed order handled within its time limits?

Orders store clocks, not due times, and a reply stops the clocks (lifecycle `_reply`), so the
deadline a unit had at its reply is not on the closed order any more. It is recovered by replaying
the order's history (worksheet.deadlines.feedbacks) and asking, just before each feedback, what the
running handling clock was due under the Policy — the same rule the card sweep applies (worksheet.supervision), so a
report never calls "on time" what supervision carded as late.

"On time" means: every reply by a unit, and a closure that stopped a running handling clock (e.g.
closed as policy-limited while being handled), came no later than the handling deadline in force at
that moment. An approved extension counts (its clock replaces the first one); each redo cycle (failed
check, unsatisfied callback, review redo) is judged against its own redo deadline. An order with no
such feedback (closed by a direct answer, or closed while returned) is not judged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from worksheet.deadlines import Policy, feedbacks
from worksheet.model import Status, WorkOrder

DEFINITION = (
    "orders closed in the period and handled by a unit on time / orders closed in the period that a unit "
    "handled. On time = every unit reply, and a closure that stopped a running handling clock, came no later "
    "than the handling deadline in force at that moment (approved extensions and redo deadlines count). "
    "Orders closed without any unit feedback (direct answers) are left out."
)


@dataclass(frozen=True, slots=True)
class Judgement:
    number: str
    unit: str | None  # the lead unit at closure
    closed_at: datetime
    on_time: bool | None  # None: no unit feedback was ever due (not judged)
    late_feedback: int  # how many feedbacks came after their deadline


def judge(order: WorkOrder, policy: Policy) -> Judgement | None:
    """The verdict on a closed order; None if the order is not closed."""
    if order.status != Status.CLOSED or order.closure is None:
        return None
    found = feedbacks(order, policy)
    late = sum(f.late for f in found)
    return Judgement(order.number, order.lead_unit, order.closure.at, (late == 0) if found else None, late)
