"""Call statistics from call records: 接通率 (answer rate) and 重复来电率 (repeat-call rate).

The documents ask for the hotline's 接听率 (000: "不断提高专线接听率") without defining it; here it is
the usual hotline measure of *people answering people*:

- A record with `originate` is a call this system placed (AMI Originate: the satisfaction-survey
  dialler) and is not an inbound call at all.
- A fax (`fax` set) is a machine delivering a document; it is counted apart and is neither offered
  nor answered (its success is the fax receipt's business).
- An inbound call answered by the IVR that never asked for an agent (no `queue`: self-service,
  a voice message, a hang-up in the menu) is *IVR-only*: the caller got what the menu offers and
  no agent was asked for, so it is counted apart too.
- Offered = inbound calls that joined the agent queue, plus inbound calls the switch never
  answered at all (busy, congestion, no answer: the caller got nothing, which must lower the rate).
- Answered = queued calls an agent picked up (`queue.agent` set).
- Calls still running (no `ended_at`, not yet picked up) are left out until they end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from callcenter.reports.rates import Rate

ANSWER_DEFINITION = (
    "answered / offered inbound calls started in the period. Inbound = no `originate` (our survey calls "
    "are outbound). Faxes and IVR-only calls (answered by the menu, never queued for an agent) are "
    "neither offered nor answered. Offered = calls that joined the agent queue + calls the switch never "
    "answered (busy/no answer/congestion). Answered = queued calls picked up by an agent. Calls still in "
    "progress are left out."
)
REPEAT_DEFINITION = (
    "inbound voice calls (not fax, not outbound) in the period whose caller number had already called "
    "earlier in the same period / inbound voice calls with a known caller number; numbers compare on "
    "their last 11 digits."
)


@dataclass(frozen=True, slots=True)
class CallStats:
    outbound: int = 0
    fax: int = 0
    ivr_only: int = 0
    queued: int = 0
    answered: int = 0  # by an agent
    abandoned: int = 0  # left the queue before an agent answered
    unanswered: int = 0  # never answered by the switch
    in_progress: int = 0
    repeat_calls: int = 0
    identified_calls: int = 0  # inbound voice calls with a caller number
    anonymous_calls: int = 0  # inbound voice calls without one

    @property
    def answer_rate(self) -> Rate:
        return Rate(self.answered, self.queued + self.unanswered)

    @property
    def repeat_rate(self) -> Rate:
        return Rate(self.repeat_calls, self.identified_calls)

    def to_json(self) -> dict[str, int]:
        return {"outbound": self.outbound, "fax": self.fax, "ivr_only": self.ivr_only, "queued": self.queued,
                "answered": self.answered, "abandoned": self.abandoned, "unanswered": self.unanswered,
                "in_progress": self.in_progress, "inbound_voice": self.identified_calls + self.anonymous_calls,
                "repeat_calls": self.repeat_calls}


def call_kind(record: Mapping[str, Any]) -> str:
    """outbound | fax | in_progress | queued | ivr_only | unanswered (see the module docstring)."""
    if record.get("originate"):
        return "outbound"
    if record.get("fax"):
        return "fax"
    queue = record.get("queue")
    if queue and queue.get("agent"):
        return "queued"
    if not record.get("ended_at"):
        return "in_progress"
    if queue:
        return "queued"
    return "ivr_only" if record.get("answered_at") else "unanswered"


def caller_key(caller: object) -> str:
    digits = "".join(ch for ch in str(caller or "") if ch.isdigit())
    return digits[-11:]


def call_stats(records: Iterable[Mapping[str, Any]]) -> CallStats:
    counts = dict.fromkeys(("outbound", "fax", "ivr_only", "queued", "unanswered", "in_progress"), 0)
    answered = abandoned = repeats = identified = anonymous = 0
    seen: set[str] = set()
    for record in records:  # a repeat is any call after a number's first: the order does not matter
        kind = call_kind(record)
        counts[kind] += 1
        if kind == "queued":
            queue = record["queue"]
            answered += bool(queue.get("agent"))
            abandoned += not queue.get("agent")
        if kind in ("outbound", "fax"):
            continue
        key = caller_key(record.get("caller"))
        if not key:
            anonymous += 1
            continue
        identified += 1
        repeats += key in seen
        seen.add(key)
    return CallStats(counts["outbound"], counts["fax"], counts["ivr_only"], counts["queued"], answered, abandoned,
                     counts["unanswered"], counts["in_progress"], repeats, identified, anonymous)
