"""Reporting periods (统计周期): a day, an ISO week, a month or a quarter, as `[start, end)` in Asia/Shanghai.

Every report counts what happened in a half-open interval of local time, so consecutive periods
tile the timeline with no event counted twice or lost at a boundary (a reply at 00:00:00 on the 1st
belongs to the new month). Weeks are ISO weeks (Monday first), the rhythm Chinese offices report in;
a week keeps its ISO year, so 2027-W01 may start on 2026-12-28.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from worksheet.errors import ValidationError

SHANGHAI = ZoneInfo("Asia/Shanghai")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$", re.IGNORECASE)


class PeriodKind(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    first: date  # first day of the period
    last: date  # last day, inclusive

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day."""
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=SHANGHAI)

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end

    @property
    def key(self) -> str:
        """A compact ASCII name, used in file names: 2026-11-23, 2026-W48, 2026-11, 2026-Q4."""
        if self.kind == PeriodKind.WEEK:
            year, week, _ = self.first.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == PeriodKind.MONTH:
            return f"{self.first:%Y-%m}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.first.year}-Q{(self.first.month - 1) // 3 + 1}"
        return self.first.isoformat()

    @property
    def label(self) -> str:
        f, la = self.first, self.last
        if self.kind == PeriodKind.WEEK:
            year, week, _ = f.isocalendar()
            tail = f"{la.year}年{la.month}月{la.day}日" if la.year != f.year else f"{la.month}月{la.day}日"
            return f"{year}年第{week}周 ({f.month}月{f.day}日–{tail})"
        if self.kind == PeriodKind.MONTH:
            return f"{f.year}年{f.month}月"
        if self.kind == PeriodKind.QUARTER:
            return f"{f.year}年第{(f.month - 1) // 3 + 1}季度"
        return f"{f.year}年{f.month}月{f.day}日"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "key": self.key, "label": self.label, "start": self.start.isoformat(),
                "end": self.end.isoformat(), "first_day": self.first.isoformat(), "last_day": self.last.isoformat()}


def period_of(kind: PeriodKind, day: date) -> Period:
    """The period of `kind` that contains `day`."""
    if kind == PeriodKind.DAY:
        return Period(kind, day, day)
    if kind == PeriodKind.WEEK:
        monday = day - timedelta(days=day.weekday())
        return Period(kind, monday, monday + timedelta(days=6))
    month = day.month if kind == PeriodKind.MONTH else (day.month - 1) // 3 * 3 + 1
    first = date(day.year, month, 1)
    span = 1 if kind == PeriodKind.MONTH else 3
    after = date(first.year + (month + span - 1) // 12, (month + span - 1) % 12 + 1, 1)
    return Period(kind, first, after - timedelta(days=1))


def parse_period(kind: str | None, value: str | None, today: date) -> Period:
    """From query strings: `period=month&date=2026-11`, `week&2026-11-23` (or 2026-W48),
    `quarter&2026-Q4`, `day&2026-11-23`. Any day inside also names a week, month or quarter.
    Without `date` the period containing `today` is meant."""
    try:
        k = PeriodKind((kind or "month").strip().lower())
    except ValueError:
        raise ValidationError(f"period must be one of: {', '.join(p.value for p in PeriodKind)}; got {kind!r}") from None
    text = (value or "").strip()
    if not text:
        return period_of(k, today)
    if m := _DAY.match(text):
        return period_of(k, _date(int(m[1]), int(m[2]), int(m[3]), text))
    if k == PeriodKind.MONTH and (m := _MONTH.match(text)):
        return period_of(k, _date(int(m[1]), int(m[2]), 1, text))
    if k == PeriodKind.QUARTER and (m := _QUARTER.match(text)):
        return period_of(k, _date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1, text))
    if k == PeriodKind.WEEK and (m := _WEEK.match(text)):
        try:
            return period_of(k, date.fromisocalendar(int(m[1]), int(m[2]), 1))
        except ValueError:
            raise ValidationError(f"date {text!r}: ISO year {m[1]} has no week {int(m[2])}") from None
    raise ValidationError(f"date {text!r} does not fit period={k.value}; expected {_EXPECTED[k]}")


_EXPECTED = {
    PeriodKind.DAY: "YYYY-MM-DD, e.g. 2026-11-23",
    PeriodKind.WEEK: "a day of the week (2026-11-23) or an ISO week (2026-W48)",
    PeriodKind.MONTH: "YYYY-MM (2026-11) or a day of the month",
    PeriodKind.QUARTER: "YYYY-Qn (2026-Q4) or a day of the quarter",
}


def _date(year: int, month: int, day: int, text: str) -> date:
    if not 2000 <= year <= 2100:
        raise ValidationError(f"date {text!r}: year must be between 2000 and 2100")
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValidationError(f"date {text!r} is not a calendar date: {exc}") from None
