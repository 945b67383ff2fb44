"""The work order (工单) and its value types.

A `WorkOrder` is immutable: the lifecycle returns a new one with its events. The
order is the fold of its events (see `lifecycle.replay`), so everything here must
be rebuildable from `Event.data` alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    PHONE = "phone"
    SMS = "sms"
    FAX = "fax"
    WEB = "web"
    WECHAT = "wechat"
    EMAIL = "email"
    WINDOW = "window"
    CITY_PLATFORM = "city_platform"


class Category(StrEnum):
    CONSULTATION = "consultation"  # 咨询
    HELP = "help"  # 求助
    COMPLAINT = "complaint"  # 投诉
    SUGGESTION = "suggestion"  # 意见建议
    REPORT = "report"  # 举报/反映


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class Status(StrEnum):
    DRAFT = "draft"  # 草稿 (from speech/SMS/fax, awaiting an agent)
    REGISTERED = "registered"  # 已登记
    DISPATCHED = "dispatched"  # 已派单, awaiting the unit
    RETURNED = "returned"  # 已回退, awaiting re-dispatch
    HANDLING = "handling"  # 办理中
    EXTENSION_REQUESTED = "extension_requested"  # 延期申请中
    REPLIED = "replied"  # 已答复, awaiting the platform's check (验收)
    CALLBACK_PENDING = "callback_pending"  # 待回访
    UNDER_REVIEW = "under_review"  # 审核中 (twice unsatisfied)
    CLOSED = "closed"  # 已办结
    MERGED = "merged"  # 已合并 into another order
    DISCARDED = "discarded"  # 已作废: a draft that is not a matter (silence, a wrong number, spam)
    RETURNED_TO_CITY = "returned_to_city"  # 已退回市级平台: outside the district, sent back to the city (§3.4)


OPEN_STATUSES = frozenset(Status) - {Status.CLOSED, Status.MERGED, Status.DRAFT, Status.DISCARDED, Status.RETURNED_TO_CITY}


class Role(StrEnum):
    AGENT = "agent"  # 受理员
    UNIT_HANDLER = "unit_handler"  # 承办单位
    SUPERVISOR = "supervisor"  # 督办/平台
    ADMIN = "admin"
    SYSTEM = "system"  # sweeps, callbacks, imports


class Rating(StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意


class ClosureReason(StrEnum):
    SATISFIED = "satisfied"  # callback satisfied / basically satisfied
    REVIEW = "review"  # 审核办结
    POLICY_LIMITED = "policy_limited"  # 因政策限制暂时无法解决
    DIRECT_ANSWER = "direct_answer"  # 即时答复, preset closes without callback


class CardColor(StrEnum):
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    role: Role
    unit: str | None = None  # set for unit handlers


@dataclass(frozen=True, slots=True)
class Enterprise:
    name: str
    credit_code: str | None = None  # 统一社会信用代码
    contact_person: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Clock:
    """A running time limit. Its due time is derived on read from the calendar.

    `kind` names a time limit of the order's SLA preset; `amount` overrides a
    ranged limit (e.g. mianyang "general 3–15 days" chosen at dispatch).
    """

    name: str  # contact, answer, handling, return, redispatch, redo
    kind: str
    start: datetime
    amount: int | None = None
    cycle: int = 0  # handling cycle this clock belongs to (cards are per cycle)
    due: datetime | None = None  # a deadline set from outside (the city platform's): it wins over the preset's


@dataclass(frozen=True, slots=True)
class CityTransfer:
    """An order transferred from the city-level 12345 platform (市级平台转办): the city's own number
    for the matter, and the deadline the city set (None: the local preset's limits apply)."""

    number: str
    due: datetime | None = None


@dataclass(frozen=True, slots=True)
class Card:
    color: CardColor
    unit: str
    issued_at: datetime
    cycle: int
    clock: str  # name of the clock whose miss caused it


@dataclass(frozen=True, slots=True)
class CallbackResult:
    rating: Rating
    at: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class Closure:
    reason: ClosureReason
    at: datetime
    explanation: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    """One audited transition. `data` is JSON-shaped and enough to replay."""

    seq: int
    type: str
    at: datetime
    actor: str
    role: Role
    from_status: Status | None
    to_status: Status
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WorkOrder:
    number: str
    channel: Channel
    category: Category
    urgency: Urgency
    enterprise: Enterprise
    subject: str
    content: str
    received_at: datetime
    preset: str
    status: Status
    attachments: tuple[str, ...] = ()
    lead_unit: str | None = None
    co_units: tuple[str, ...] = ()
    dispatched_at: datetime | None = None
    clocks: tuple[Clock, ...] = ()
    cards: tuple[Card, ...] = ()
    callbacks: tuple[CallbackResult, ...] = ()
    unsatisfied_count: int = 0
    cycle: int = 0  # incremented on every (re)dispatch and redo
    extension: str | None = None  # None, "requested", "approved", "denied"
    reply: str | None = None
    direct_answer: str | None = None
    return_reason: str | None = None
    review_decision: str | None = None  # "close" or "redo", with explanation in history
    closure: Closure | None = None
    merged_into: str | None = None
    possible_duplicates: tuple[str, ...] = ()  # found by this order's own checks (its history)
    dismissed_duplicates: tuple[str, ...] = ()  # ruled out by a person: never flagged again
    city: CityTransfer | None = None  # set for orders the city platform transferred to the district
    history: tuple[Event, ...] = ()
    # Later orders whose checks found this one, as the store links them back: read with the order,
    # not part of its history (so not of its equality either).
    linked_duplicates: tuple[str, ...] = field(default=(), compare=False)

    @property
    def suspected_duplicates(self) -> tuple[str, ...]:
        """The possible duplicates to show and to rule out: its own findings, then the later
        orders linked to it, less those a person dismissed."""
        own = set(self.possible_duplicates) | set(self.dismissed_duplicates)
        return self.possible_duplicates + tuple(n for n in self.linked_duplicates if n not in own)

    @property
    def version(self) -> int:
        """Optimistic-concurrency version: the number of events applied."""
        return len(self.history)

    def clock(self, name: str) -> Clock | None:
        for c in self.clocks:
            if c.name == name:
                return c
        return None

    @property
    def units(self) -> tuple[str, ...]:
        return ((self.lead_unit,) if self.lead_unit else ()) + self.co_units
