"""Commands: what a person (or the system) asks the lifecycle to do.

Each command has a stable `name`, the one used in the transition table, in
events and in the HTTP route `POST /api/v1/orders/{number}/{name}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from .model import Actor, CardColor, Rating


@dataclass(frozen=True, kw_only=True)
class Command:
    name: ClassVar[str]
    actor: Actor
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class Confirm(Command):
    """An agent confirms a draft (from speech, SMS or fax), possibly edited."""

    name: ClassVar[str] = "confirm"
    changes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AmendDraft(Command):
    """Fill in or edit a draft without confirming it: the speech pipeline's suggested fields
    (kept with their transcript spans in ``suggestion``), or an agent's edits before confirming."""

    name: ClassVar[str] = "amend-draft"
    changes: dict[str, object] = field(default_factory=dict)
    suggestion: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AnswerDirectly(Command):
    """即时答复 from the knowledge base (consultations only)."""

    name: ClassVar[str] = "answer-directly"
    answer: str


@dataclass(frozen=True, kw_only=True)
class Dispatch(Command):
    name: ClassVar[str] = "dispatch"
    lead_unit: str
    co_units: tuple[str, ...] = ()
    kind: str | None = None  # a handling kind of the preset; default: its first (or urgent kind)
    amount: int | None = None  # for ranged limits, e.g. mianyang general 3–15 days


@dataclass(frozen=True, kw_only=True)
class Redispatch(Dispatch):
    """二次转派 after a unit returned the order."""

    name: ClassVar[str] = "redispatch"


@dataclass(frozen=True, kw_only=True)
class Accept(Command):
    name: ClassVar[str] = "accept"


@dataclass(frozen=True, kw_only=True)
class Return(Command):
    """回退: not this unit's duty. Reason and legal/policy basis are required."""

    name: ClassVar[str] = "return"
    reason: str
    basis: str


@dataclass(frozen=True, kw_only=True)
class RequestExtension(Command):
    name: ClassVar[str] = "request-extension"
    reason: str


@dataclass(frozen=True, kw_only=True)
class DecideExtension(Command):
    name: ClassVar[str] = "decide-extension"
    approve: bool


@dataclass(frozen=True, kw_only=True)
class Reply(Command):
    """The unit's answer to the enterprise, reported to the platform (反馈)."""

    name: ClassVar[str] = "reply"
    content: str


@dataclass(frozen=True, kw_only=True)
class Check(Command):
    """The platform's acceptance check (验收) of a reply."""

    name: ClassVar[str] = "check"
    passed: bool


@dataclass(frozen=True, kw_only=True)
class RecordCallback(Command):
    """The result of the satisfaction callback (回访)."""

    name: ClassVar[str] = "callback-result"
    rating: Rating


@dataclass(frozen=True, kw_only=True)
class Review(Command):
    """审核 of a twice-unsatisfied order: close with an explanation, or redo."""

    name: ClassVar[str] = "review"
    decision: str  # "close" | "redo"
    explanation: str
    amount: int | None = None  # redo limit override for ranged redo kinds


@dataclass(frozen=True, kw_only=True)
class ClosePolicyLimited(Command):
    """因政策限制暂时无法解决: closed with an explanation and filed (备案)."""

    name: ClassVar[str] = "close-policy-limited"
    explanation: str


@dataclass(frozen=True, kw_only=True)
class Merge(Command):
    """A person merges this (duplicate) order into another one."""

    name: ClassVar[str] = "merge"
    into: str


@dataclass(frozen=True, kw_only=True)
class IssueCard(Command):
    """Issued by the supervision sweep, never by a person."""

    name: ClassVar[str] = "issue-card"
    color: CardColor
    clock: str
    cycle: int


@dataclass(frozen=True, kw_only=True)
class FlagDuplicates(Command):
    name: ClassVar[str] = "flag-duplicates"
    numbers: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class DismissDuplicates(Command):
    """A person decides orders flagged as possible duplicates are not: they leave the list and
    are never flagged against this order again (the re-checks after a draft fills would)."""

    name: ClassVar[str] = "dismiss-duplicates"
    numbers: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Discard(Command):
    """An agent throws a draft away (an empty message, a misdial, spam), saying why; it stays on record."""

    name: ClassVar[str] = "discard"
    reason: str


@dataclass(frozen=True, kw_only=True)
class AddSupplement(Command):
    """More from the caller about an open order (a follow-up SMS, a second fax page, a note an
    agent took on a repeat call): appended to the order's history, the status is unchanged."""

    name: ClassVar[str] = "supplement"
    text: str
    source: str = ""  # where it came from, e.g. "sms:SM0123…"; shown to the handler
    attachments: tuple[str, ...] = ()  # files that came with it (a mail's), added to the order's


@dataclass(frozen=True, kw_only=True)
class ReturnToCity(Command):
    """退回市级平台: a transfer from the city that is outside the district (RULES.md §3.4) goes back
    to the city platform, with the reason; the order ends here."""

    name: ClassVar[str] = "return-to-city"
    reason: str


PERSON_COMMANDS: dict[str, type[Command]] = {
    c.name: c
    for c in (
        Confirm, AmendDraft, AnswerDirectly, Dispatch, Accept, Return, Redispatch, RequestExtension,
        DecideExtension, Reply, Check, RecordCallback, Review, ClosePolicyLimited, Merge, AddSupplement,
        Discard, DismissDuplicates, ReturnToCity,
    )
}
