"""Calling windows for satisfaction callbacks: wall-clock times on the working days of the
calendar (weekends and holidays skipped, 调休 working weekends included). Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..calendar import WorkingCalendar
from ..errors import InvalidTransition, ValidationError

SHANGHAI = ZoneInfo("Asia/Shanghai")
_ONE_DAY = timedelta(days=1)

# --- errors ----------------------------------------------------------------------


class InvalidCallbackConfig(ValidationError):
    """Calling windows or retry policy configuration that cannot work."""

    error_id = "invalid-callback-config"
    title = "Invalid callback configuration"


class CallbackAttemptsExhausted(InvalidTransition):
    """A dial was requested although every allowed attempt has already been started."""

    error_id = "callback-attempts-exhausted"
    title = "No callback attempts left"

    def __init__(self, attempts: int, max_attempts: int) -> None:
        super().__init__(
            "attempts-exhausted", "dial",
            f"{attempts} of {max_attempts} callback attempts already started; no further dial is allowed",
        )
        self.attempts = attempts
        self.max_attempts = max_attempts


# --- calling windows ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Window:
    """One daily calling window, half-open: open at `start`, closed again at `end`."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start.strftime('%H:%M')}-{self.end.strftime('%H:%M')}"


DEFAULT_WINDOWS: tuple[Window, ...] = (Window(time(9, 0), time(12, 0)), Window(time(14, 0), time(20, 0)))
_WINDOW_TEXT = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–~]\s*(\d{1,2}:\d{2})\s*$")


class CallingWindows:
    """When the platform may phone an enterprise: daily windows on working days.

    Windows are half-open (`start <= t < end`): at exactly `end` the window is
    closed. They must not overlap; touching windows (12:00–14:00 and
    14:00–18:00) are allowed and behave like one.
    """

    __slots__ = ("calendar", "windows", "tz")

    def __init__(
        self,
        calendar: WorkingCalendar,
        windows: Iterable[Window | tuple[time | str, time | str] | str] = DEFAULT_WINDOWS,
        tz: ZoneInfo | str = SHANGHAI,
    ) -> None:
        if not isinstance(calendar, WorkingCalendar):
            raise InvalidCallbackConfig(f"calendar must be a WorkingCalendar, got {calendar!r}")
        self.calendar = calendar
        self.tz = _zone(tz)
        self.windows = _validate_windows(windows)

    def __repr__(self) -> str:
        return f"CallingWindows({', '.join(str(w) for w in self.windows)}, tz={self.tz.key})"

    def is_open(self, at: datetime) -> bool:
        local = _aware(at, "at").astimezone(self.tz)
        if not self.calendar.is_working_day(local.date()):
            return False
        t = local.time()
        return any(w.start <= t < w.end for w in self.windows)

    def next_open(self, at: datetime) -> datetime:
        """The earliest instant >= `at` at which the windows are open (in the windows' zone).

        Returns `at` itself (converted to the zone) when the windows are open at `at`.
        """
        local = _aware(at, "at").astimezone(self.tz)
        day, t = local.date(), local.time()
        while True:
            working_day, _ = self.calendar.next_working_day_on_or_after(day)
            if working_day != day:
                day, t = working_day, time.min
            for w in self.windows:
                if t < w.end:
                    if t >= w.start:
                        return local
                    return datetime.combine(day, w.start, tzinfo=self.tz)
            day, t = day + _ONE_DAY, time.min

    def open_on(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The open intervals of one day (empty on a non-working day)."""
        if not self.calendar.is_working_day(day):
            return ()
        return tuple(
            (datetime.combine(day, w.start, tzinfo=self.tz), datetime.combine(day, w.end, tzinfo=self.tz))
            for w in self.windows
        )


def first_call_at(checked_at: datetime, windows: CallingWindows) -> datetime:
    """When a reply passes the check (验收), the survey call goes out at the next open window time."""
    return windows.next_open(_aware(checked_at, "checked_at"))


# --- helpers ---------------------------------------------------------------------------


def _aware(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValidationError(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(f"{name} must carry a time zone offset, e.g. 2026-11-23T09:30:00+08:00")
    return value


def _count(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    if isinstance(tz, str):
        try:
            return ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidCallbackConfig(f"unknown time zone '{tz}'") from None
    raise InvalidCallbackConfig(f"tz must be a ZoneInfo or a zone name, got {tz!r}")


def _time(value: time | str, what: str) -> time:
    if isinstance(value, str):
        try:
            value = time.fromisoformat(value.strip())
        except ValueError:
            raise InvalidCallbackConfig(f"{what}: '{value}' is not a time of day (HH:MM)") from None
    if not isinstance(value, time):
        raise InvalidCallbackConfig(f"{what}: {value!r} is not a time of day")
    if value.tzinfo is not None:
        raise InvalidCallbackConfig(f"{what}: {value} must be a wall-clock time without a zone")
    return value


def _window(spec: Window | tuple[time | str, time | str] | str) -> Window:
    if isinstance(spec, str):
        m = _WINDOW_TEXT.match(spec)
        if not m:
            raise InvalidCallbackConfig(f"calling window '{spec}' is not of the form HH:MM-HH:MM")
        spec = (m.group(1).zfill(5), m.group(2).zfill(5))
    if isinstance(spec, Window):
        start, end = spec.start, spec.end
    elif isinstance(spec, tuple) and len(spec) == 2:
        start, end = spec
    else:
        raise InvalidCallbackConfig(f"calling window {spec!r} must be (start, end) or 'HH:MM-HH:MM'")
    start, end = _time(start, "window start"), _time(end, "window end")
    if not start < end:
        raise InvalidCallbackConfig(f"calling window {start}-{end}: start must be before end (no midnight crossing)")
    return Window(start, end)


def _validate_windows(specs: Iterable[Window | tuple[time | str, time | str] | str]) -> tuple[Window, ...]:
    if isinstance(specs, str | Window):
        specs = (specs,)
    windows = sorted((_window(s) for s in specs), key=lambda w: (w.start, w.end))
    if not windows:
        raise InvalidCallbackConfig("at least one calling window is required")
    for prev, cur in zip(windows, windows[1:], strict=False):
        if cur.start < prev.end:
            raise InvalidCallbackConfig(f"calling windows {prev} and {cur} overlap")
    return tuple(windows)
