"""SLA presets (时限) and the one deadline rule every preset shares.

The rule (all times Asia/Shanghai):

- "N working days": due at `end_of_day` of the N-th working day after the
  receipt day. A receipt on a non-working day counts as a receipt on the next
  working day, so such a deadline never lands on a non-working day.
- "N days" (calendar days): due at `end_of_day` of the N-th calendar day after
  the receipt day; weekends and holidays count and there is no shift.
- "N hours": exactly N clock hours after the start (24 h means 24 h, weekends
  included).
- "immediate": due at the start itself.

Presets are data (JSON files in worksheet/presets/, or a deployment's own);
`SlaPreset.from_dict` validates one. Orders keep only clocks (kind, start,
optional amount) and derive due times on read through `compute_due`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from .calendar import WorkingCalendar
from .errors import UnknownTimeLimit, ValidationError

SHANGHAI = ZoneInfo("Asia/Shanghai")
Unit = Literal["working_days", "days", "hours", "immediate"]
UNITS: tuple[str, ...] = ("working_days", "days", "hours", "immediate")
DEFAULT_END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """One limit: fixed (`amount`) or ranged (`minimum`..`maximum`, chosen per order).

    A ranged limit such as mianyang's "3–15 days" defaults to its maximum (or
    to `amount`, if a preset sets one inside the range).
    """

    unit: Unit
    amount: int | None = None
    minimum: int | None = None
    maximum: int | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValidationError(f"unknown time-limit unit '{self.unit}'; valid: {', '.join(UNITS)}")
        for name in ("amount", "minimum", "maximum"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise ValidationError(f"time-limit {name} must be a positive integer, got {v!r}")
        if self.unit == "immediate":
            if (self.amount, self.minimum, self.maximum) != (None, None, None):
                raise ValidationError("an 'immediate' limit takes no amount or range")
            return
        if (self.minimum is None) != (self.maximum is None):
            raise ValidationError("a ranged limit needs both minimum and maximum")
        if self.minimum is None:
            if self.amount is None:
                raise ValidationError(f"a '{self.unit}' limit needs an amount or a minimum/maximum range")
            return
        assert self.maximum is not None
        if self.minimum > self.maximum:
            raise ValidationError(f"range {self.minimum}–{self.maximum} is empty")
        if self.amount is not None and not self.minimum <= self.amount <= self.maximum:
            raise ValidationError(f"default amount {self.amount} is outside the range {self.minimum}–{self.maximum}")

    @property
    def ranged(self) -> bool:
        return self.minimum is not None

    def resolve(self, amount: int | None = None) -> int:
        """The amount to count: an override is allowed only for ranged limits, inside the range."""
        if self.unit == "immediate":
            if amount is not None:
                raise ValidationError("an 'immediate' limit takes no amount")
            return 0
        if not self.ranged:
            if amount is not None:
                raise ValidationError(f"this limit is fixed at {self.amount} {self.unit}; it takes no amount")
            assert self.amount is not None
            return self.amount
        assert self.minimum is not None and self.maximum is not None
        if amount is None:
            return self.amount if self.amount is not None else self.maximum
        if isinstance(amount, bool) or not isinstance(amount, int) or not self.minimum <= amount <= self.maximum:
            raise ValidationError(f"amount must be between {self.minimum} and {self.maximum} {self.unit}, got {amount!r}")
        return amount

    @classmethod
    def from_dict(cls, d: Any, where: str = "limit") -> TimeLimit:
        if not isinstance(d, Mapping):
            raise ValidationError(f"{where}: must be an object like {{\"unit\": \"working_days\", \"amount\": 7}}")
        unknown = sorted(set(d) - {"unit", "amount", "minimum", "maximum", "note"})
        if unknown:
            raise ValidationError(f"{where}: unknown field(s) {', '.join(unknown)}")
        if "unit" not in d:
            raise ValidationError(f"{where}: missing field 'unit'")
        try:
            return cls(cast(Unit, d["unit"]), d.get("amount"), d.get("minimum"), d.get("maximum"))
        except ValidationError as exc:
            raise ValidationError(f"{where}: {exc.detail}") from None


@dataclass(frozen=True, slots=True)
class Deadline:
    due: datetime
    provisional: bool  # the calendar had no official data for a year the count crossed


def _require_aware(start: datetime) -> datetime:
    if not isinstance(start, datetime):
        raise ValidationError(f"start must be a datetime, got {start!r}")
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValidationError(f"start time {start.isoformat()} has no timezone")
    return start.astimezone(SHANGHAI)


def compute_due(
    limit: TimeLimit, start: datetime, calendar: WorkingCalendar, end_of_day: time, amount: int | None = None
) -> Deadline:
    """Apply the module's deadline rule; the date arithmetic is memoised by the calendar."""
    local = _require_aware(start)
    n = limit.resolve(amount)
    unit = limit.unit
    if unit == "working_days":
        receipt, shifted = calendar.next_working_day_on_or_after(local.date())
        day, provisional = calendar.add_working_days(receipt, n)
        return Deadline(_at(day, end_of_day), shifted or provisional)
    if unit == "days":
        return Deadline(_at(local.date() + timedelta(days=n), end_of_day), False)
    if unit == "hours":
        # Add in UTC so "N hours" is N elapsed hours even across an offset change.
        due = (local.astimezone(UTC) + timedelta(hours=n)).astimezone(SHANGHAI)
        return Deadline(due, False)
    return Deadline(local, False)


def _at(day: date, end_of_day: time) -> datetime:
    return datetime.combine(day, end_of_day, tzinfo=SHANGHAI)


def _one_working_day() -> TimeLimit:
    return TimeLimit("working_days", 1)


@dataclass(frozen=True)
class SlaPreset:
    """A jurisdiction's limits plus the kinds the order lifecycle uses for each clock."""

    name: str
    title: str
    source: str
    end_of_day: time
    limits: dict[str, TimeLimit]
    handling_kinds: tuple[str, ...]  # a dispatcher's choices; the first is the default
    dispatch_clocks: dict[str, str] = field(default_factory=dict)  # clock name → kind, started at dispatch
    extension_kind: str | None = None  # None: the preset has no extension
    return_kind: str | None = None  # the unit's return window; None: no window
    redispatch_kind: str | None = None
    redo_kind: str | None = None  # None: a redo reuses the order's handling kind (and amount)
    red_card_after: TimeLimit = field(default_factory=_one_working_day)
    direct_answer_closes: bool = False  # True: a knowledge-base answer closes at once
    urgent_kind: str | None = None
    notes: str = ""

    def __post_init__(self) -> None:
        if not self.handling_kinds:
            raise ValidationError(f"preset {self.name}: handling_kinds must name at least one kind")
        named = [("handling_kinds", k) for k in self.handling_kinds]
        named += [(f"dispatch_clocks.{c}", k) for c, k in self.dispatch_clocks.items()]
        for fname in ("extension_kind", "return_kind", "redispatch_kind", "redo_kind", "urgent_kind"):
            k = getattr(self, fname)
            if k is not None:
                named.append((fname, k))
        for where, kind in named:
            if kind not in self.limits:
                raise ValidationError(
                    f"preset {self.name}: {where} names kind '{kind}', which is not in limits ({', '.join(sorted(self.limits))})"
                )

    def limit(self, kind: str) -> TimeLimit:
        try:
            return self.limits[kind]
        except KeyError:
            raise UnknownTimeLimit(
                f"preset {self.name} has no time limit '{kind}'; valid kinds: {', '.join(sorted(self.limits))}"
            ) from None

    def due(self, kind: str, start: datetime, calendar: WorkingCalendar, amount: int | None = None) -> Deadline:
        return compute_due(self.limit(kind), start, calendar, self.end_of_day, amount)

    @classmethod
    def from_dict(cls, d: Any) -> SlaPreset:
        """Validate a preset document (see worksheet/presets/*.json for the shape)."""
        if not isinstance(d, Mapping):
            raise ValidationError("a preset must be a JSON object")
        known = {
            "name", "title", "source", "notes", "end_of_day", "limits", "handling_kinds", "dispatch_clocks",
            "extension_kind", "return_kind", "redispatch_kind", "redo_kind", "red_card_after",
            "direct_answer_closes", "urgent_kind",
        }
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValidationError(f"preset: unknown field(s) {', '.join(unknown)}")
        missing = [k for k in ("name", "title", "source", "limits", "handling_kinds") if k not in d]
        if missing:
            raise ValidationError(f"preset: missing field(s) {', '.join(missing)}")
        name = _str(d, "name", "preset")
        where = f"preset {name}"
        limits_doc = d["limits"]
        if not isinstance(limits_doc, Mapping) or not limits_doc:
            raise ValidationError(f"{where}: 'limits' must be a non-empty object of kind → limit")
        limits = {str(k): TimeLimit.from_dict(v, f"{where}: limits.{k}") for k, v in limits_doc.items()}
        kinds = d["handling_kinds"]
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            raise ValidationError(f"{where}: 'handling_kinds' must be a list of kind names")
        clocks = d.get("dispatch_clocks") or {}
        if not isinstance(clocks, Mapping) or not all(isinstance(v, str) for v in clocks.values()):
            raise ValidationError(f"{where}: 'dispatch_clocks' must map clock names to kind names")
        closes = d.get("direct_answer_closes", False)
        if not isinstance(closes, bool):
            raise ValidationError(f"{where}: 'direct_answer_closes' must be true or false")
        red = d.get("red_card_after")
        return cls(
            name=name,
            title=_str(d, "title", where),
            source=_str(d, "source", where),
            notes=_str(d, "notes", where) if "notes" in d else "",
            end_of_day=_time(d.get("end_of_day"), where),
            limits=limits,
            handling_kinds=tuple(kinds),
            dispatch_clocks={str(k): v for k, v in clocks.items()},
            extension_kind=_opt_str(d, "extension_kind", where),
            return_kind=_opt_str(d, "return_kind", where),
            redispatch_kind=_opt_str(d, "redispatch_kind", where),
            redo_kind=_opt_str(d, "redo_kind", where),
            red_card_after=_one_working_day() if red is None else TimeLimit.from_dict(red, f"{where}: red_card_after"),
            direct_answer_closes=closes,
            urgent_kind=_opt_str(d, "urgent_kind", where),
        )


def _str(d: Mapping[str, Any], key: str, where: str) -> str:
    v = d.get(key)
    if not isinstance(v, str) or not v.strip():
        raise ValidationError(f"{where}: '{key}' must be a non-empty string")
    return v


def _opt_str(d: Mapping[str, Any], key: str, where: str) -> str | None:
    return None if d.get(key) is None else _str(d, key, where)


def _time(value: Any, where: str) -> time:
    if value is None:
        return DEFAULT_END_OF_DAY
    try:
        t = time.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        t = None
    if t is None or t.tzinfo is not None:
        raise ValidationError(f"{where}: end_of_day '{value}' is not a local time like \"17:30:00\"")
    return t
