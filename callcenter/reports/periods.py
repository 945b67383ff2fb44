"""Reporting periods (统计周期): a day, an ISO week, a month, a quarter or a year, as `[start, end)` in Asia/Shanghai.

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
_YEAR = re.compile(r"^(\d{4})$")


class PeriodKind(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


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
        if self.kind == PeriodKind.YEAR:
            return str(self.first.year)
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
        if self.kind == PeriodKind.YEAR:
            return f"{f.year}年"
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
    if kind == PeriodKind.YEAR:
        return Period(kind, date(day.year, 1, 1), date(day.year, 12, 31))
    month = day.month if kind == PeriodKind.MONTH else (day.month - 1) // 3 * 3 + 1
    first = date(day.year, month, 1)
    span = 1 if kind == PeriodKind.MONTH else 3
    after = date(first.year + (month + span - 1) // 12, (month + span - 1) % 12 + 1, 1)
    return Period(kind, first, after - timedelta(days=1))


def parse_period(kind: str | None, value: str | None, today: date) -> Period:
    """From query strings: `period=month&date=2026-11`, `week&2026-11-23` (or 2026-W48),
    `quarter&2026-Q4`, `year&2026`, `day&2026-11-23`. Without `date` the period containing `today`.

    The date may name a day, week, month, quarter or year whatever the period: it stands for its
    first day, and the period of `kind` containing that day is meant. So a form whose period was
    switched to 季报 while its date still says 2026-12 asks for 2026-Q4, not for an error.
    """
    try:
        k = PeriodKind((kind or "month").strip().lower())
    except ValueError:
        raise ValidationError(f"统计周期“{(kind or '')[:20]}”无法识别，应为：{KIND_NAMES_TEXT}") from None
    text = (value or "").strip()
    return period_of(k, anchor_day(text) if text else today)


def anchor_day(text: str) -> date:
    """The first day of what `text` names: 2026-11-23, 2026-W48, 2026-11, 2026-Q4 or 2026."""
    if m := _DAY.match(text):
        return _date(int(m[1]), int(m[2]), int(m[3]), text)
    if m := _MONTH.match(text):
        return _date(int(m[1]), int(m[2]), 1, text)
    if m := _QUARTER.match(text):
        return _date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1, text)
    if m := _YEAR.match(text):
        return _date(int(m[1]), 1, 1, text)
    if m := _WEEK.match(text):
        _date(int(m[1]), 1, 1, text)
        try:
            return date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError:
            raise ValidationError(f"日期“{text}”有误：{m[1]} 年没有第 {int(m[2])} 周") from None
    raise ValidationError(f"日期“{text[:40]}”无法识别，请填写如 2026-11-23、2026-W48、2026-11、2026-Q4 或 2026")


KIND_NAMES = {PeriodKind.DAY: "日报", PeriodKind.WEEK: "周报", PeriodKind.MONTH: "月报",
              PeriodKind.QUARTER: "季报", PeriodKind.YEAR: "年报"}
KIND_NAMES_TEXT = "、".join(f"{name}（{k.value}）" for k, name in KIND_NAMES.items())


def _date(year: int, month: int, day: int, text: str) -> date:
    if not 2000 <= year <= 2100:
        raise ValidationError(f"日期“{text}”有误：年份应在 2000 至 2100 之间")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValidationError(f"日期“{text}”不是有效的日历日期") from None
