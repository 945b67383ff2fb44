"""China's working-day calendar (工作日), with deployment overrides.

Official data comes from the `chinese_calendar` package, which includes the
adjusted working weekends (调休上班) and holiday periods. The package only knows
the years the State Council has already published; for any other year the
calendar falls back to "Monday–Friday work" and flags the answer *provisional*,
so a deadline computed today can be recomputed once real data exists.

A deployment can correct or extend the data with an override file, parsed by
`WorkingCalendar.from_override_text` (the caller reads the file; this module
never does I/O). The format is TOML:

    [calendar]
    covered_years = [2027]                  # these years are fully described: not provisional
    extra_holidays = ["2027-01-01"]         # days off (strings or TOML dates)
    extra_workdays = ["2027-02-07"]         # working days, e.g. 调休 weekends

    [[holiday]]                             # the same, one table per day, with an optional name
    date = "2027-02-11"
    name = "春节"

    [[workday]]
    date = "2027-02-20"
    name = "春节调休"

Overrides always win over the official data. A day listed both as a holiday
and as a workday is rejected, as are unknown keys (a typo must not silently
turn into "no override").
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import chinese_calendar

from .errors import ValidationError

_ONE_DAY = timedelta(days=1)


class WorkingCalendar:
    """Answers "is this a working day?" and counts working days, memoised.

    The supervision sweep asks the same few hundred questions for 100,000
    orders, so every per-day answer and every `add_working_days` result is
    cached on the instance. Instances are therefore cheap to query but should
    be shared, not rebuilt per request.
    """

    def __init__(
        self,
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        covered_years: Iterable[int] = (),
    ) -> None:
        holidays, workdays = _override_days(extra_holidays, extra_workdays)
        years = frozenset(covered_years)
        for y in years:
            if isinstance(y, bool) or not isinstance(y, int) or not 1 <= y <= 9999:
                raise ValidationError(f"covered_years: '{y}' is not a year")
        self._extra_holidays = holidays
        self._extra_workdays = workdays
        self._covered_years = years
        self._days: dict[date, tuple[bool, bool]] = {}
        self._official_years: dict[int, bool] = {}
        self._added: dict[tuple[date, int], tuple[date, bool]] = {}
        self._on_or_after: dict[date, tuple[date, bool]] = {}

    @property
    def extra_holidays(self) -> frozenset[date]:
        return self._extra_holidays

    @property
    def extra_workdays(self) -> frozenset[date]:
        return self._extra_workdays

    def set_overrides(self, extra_holidays: Iterable[date], extra_workdays: Iterable[date]) -> None:
        """Replace the override days in place (a supervisor edited them), forgetting every cached
        answer. In place, because every Policy and service holds this one shared instance."""
        self._extra_holidays, self._extra_workdays = _override_days(extra_holidays, extra_workdays)
        self._days.clear()
        self._added.clear()
        self._on_or_after.clear()

    # --- construction from a deployment override file -----------------------

    @classmethod
    def from_override_text(cls, text: str) -> WorkingCalendar:
        """Parse the TOML override format described in the module docstring."""
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValidationError(f"calendar override is not valid TOML: {exc}") from None
        unknown = sorted(set(doc) - {"calendar", "holiday", "workday"})
        if unknown:
            raise ValidationError(f"calendar override: unknown section(s) {', '.join(unknown)}")
        section = doc.get("calendar", {})
        if not isinstance(section, Mapping):
            raise ValidationError("calendar override: [calendar] must be a table")
        unknown = sorted(set(section) - {"covered_years", "extra_holidays", "extra_workdays"})
        if unknown:
            raise ValidationError(f"calendar override: unknown key(s) in [calendar]: {', '.join(unknown)}")
        holidays = [_parse_date(v, "extra_holidays") for v in _list(section, "extra_holidays")]
        workdays = [_parse_date(v, "extra_workdays") for v in _list(section, "extra_workdays")]
        holidays += [_entry_date(e, "holiday") for e in _tables(doc, "holiday")]
        workdays += [_entry_date(e, "workday") for e in _tables(doc, "workday")]
        years = _list(section, "covered_years")
        for y in years:
            if isinstance(y, bool) or not isinstance(y, int):
                raise ValidationError(f"covered_years: '{y}' is not a year")
        return cls(holidays, workdays, years)

    # --- single days ---------------------------------------------------------

    def _lookup(self, d: date) -> tuple[bool, bool]:
        """(working, provisional) for one day; the hot path, hence the cache."""
        hit = self._days.get(d)
        if hit is not None:
            return hit
        official = self._has_official_data(d.year)
        provisional = not official and d.year not in self._covered_years
        if d in self._extra_workdays:
            working = True
        elif d in self._extra_holidays:
            working = False
        elif official:
            working = bool(chinese_calendar.is_workday(d))
        else:
            working = d.weekday() < 5
        result = (working, provisional)
        self._days[d] = result
        return result

    def _has_official_data(self, year: int) -> bool:
        known = self._official_years.get(year)
        if known is None:
            try:
                chinese_calendar.is_workday(date(year, 1, 1))
                known = True
            except NotImplementedError:
                known = False
            self._official_years[year] = known
        return known

    def is_working_day(self, d: date) -> bool:
        return self._lookup(_plain_date(d, "d"))[0]

    def is_provisional(self, d: date) -> bool:
        """True when `d`'s year has neither official data nor a covering override."""
        return self._lookup(_plain_date(d, "d"))[1]

    # --- counting ------------------------------------------------------------

    def add_working_days(self, d: date, n: int) -> tuple[date, bool]:
        """The `n`-th working day strictly after `d` (n=0 → `d` itself).

        The flag is True when any day examined on the way (the days after `d`
        up to the result) lies in a provisional year: the result might move
        once official data for that year is published. For n=0 nothing is
        examined, so the flag is False.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValidationError(f"working-day count must be a non-negative integer, got {n!r}")
        key = (d, n)
        hit = self._added.get(key)
        if hit is not None:
            return hit
        _plain_date(d, "d")
        day, provisional, left = d, False, n
        while left:
            day += _ONE_DAY
            working, prov = self._lookup(day)
            provisional = provisional or prov
            if working:
                left -= 1
        result = (day, provisional)
        self._added[key] = result
        return result

    def next_working_day_on_or_after(self, d: date) -> tuple[date, bool]:
        """`d` if it is a working day, else the first working day after it (with the provisional flag)."""
        hit = self._on_or_after.get(d)
        if hit is not None:
            return hit
        _plain_date(d, "d")
        day = d
        working, provisional = self._lookup(day)
        while not working:
            day += _ONE_DAY
            working, prov = self._lookup(day)
            provisional = provisional or prov
        result = (day, provisional)
        self._on_or_after[d] = result
        return result


# --- parsing helpers -----------------------------------------------------------


def _override_days(extra_holidays: Iterable[date], extra_workdays: Iterable[date]) -> tuple[frozenset[date], frozenset[date]]:
    holidays = frozenset(_plain_date(d, "extra_holidays") for d in extra_holidays)
    workdays = frozenset(_plain_date(d, "extra_workdays") for d in extra_workdays)
    clash = sorted(holidays & workdays)
    if clash:
        raise ValidationError(f"dates listed both as holiday and as workday: {', '.join(d.isoformat() for d in clash)}")
    return holidays, workdays


def _plain_date(value: object, field: str) -> date:
    # datetime is a subclass of date; accepting one would silently drop its time.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationError(f"{field}: '{value}' is not a date")
    return value


def _parse_date(value: object, field: str) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(f"{field}: '{value}' is not a date (expected YYYY-MM-DD)") from None
    return _plain_date(value, field)


def _list(section: Mapping[str, Any], key: str) -> list[Any]:
    value = section.get(key, [])
    if not isinstance(value, list):
        raise ValidationError(f"calendar override: '{key}' must be a list")
    return value


def _tables(doc: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(e, Mapping) for e in value):
        raise ValidationError(f"calendar override: use [[{key}]] tables for '{key}' entries")
    return value


def _entry_date(entry: Mapping[str, Any], key: str) -> date:
    unknown = sorted(set(entry) - {"date", "name"})
    if unknown:
        raise ValidationError(f"calendar override: unknown key(s) in [[{key}]]: {', '.join(unknown)}")
    if "date" not in entry:
        raise ValidationError(f"calendar override: a [[{key}]] entry has no 'date'")
    return _parse_date(entry["date"], key)
