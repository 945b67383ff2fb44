"""Wall-clock times carried inside AMI events.

Asterisk stamps events in several ways: a ``Timestamp`` epoch header (``timestampevents=yes``),
``EventTV`` ISO times on security events, naive local ``EventTime`` on CEL and ``StartTime``/
``AnswerTime``/``EndTime`` on Cdr, and the channel creation epoch inside every ``Uniqueid``
(``1795435368.0``). Naive times are in the PBX's own time zone, which is configuration.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from callcenter.ami.codec import Message

_UNIQUEID = re.compile(r"^(\d{9,11})\.\d+$")
_NAIVE_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S")
# A PBX with a flat clock battery says 1970; anything outside this is not a time of a call, and
# years 1 and 9999 overflow when moved to UTC (the record's times are stored in UTC).
_YEARS = range(1970, 3000)


def _plausible(value: datetime | None) -> datetime | None:
    return value if value is not None and value.year in _YEARS else None


def parse_local(value: str | None, tz: tzinfo) -> datetime | None:
    """A naive ``YYYY-MM-DD HH:MM:SS[.ffffff]`` PBX-local time, or None if empty/invalid."""
    if not value or not value.strip():
        return None
    for fmt in _NAIVE_FORMATS:
        try:
            return _plausible(datetime.strptime(value.strip(), fmt).replace(tzinfo=tz))
        except ValueError:
            continue
    return None


def parse_epoch(value: str | None) -> datetime | None:
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    if seconds is None or not 0 < seconds < 1e11:
        return None
    return datetime.fromtimestamp(seconds, UTC)


def uniqueid_time(uniqueid: str | None) -> datetime | None:
    """Creation time of a channel from its Uniqueid (epoch seconds before the dot)."""
    m = _UNIQUEID.match(uniqueid or "")
    return datetime.fromtimestamp(int(m.group(1)), UTC) if m else None


def event_time(msg: Message, tz: tzinfo) -> datetime | None:
    """The best wall time the event itself carries, if any."""
    if (ts := parse_epoch(msg.get("Timestamp"))) is not None:
        return ts
    if (tv := msg.get("EventTV")) is not None:
        try:
            stamp = datetime.fromisoformat(tv)
        except ValueError:
            stamp = None
        if (stamp := _plausible(stamp)) is not None and stamp.tzinfo is not None:
            return stamp
    name = msg.name
    if name == "CEL":
        return parse_local(msg.get("EventTime"), tz)
    if name == "Cdr":
        return parse_local(msg.get("EndTime"), tz)
    if name == "Newchannel":
        return uniqueid_time(msg.get("Uniqueid"))
    return None


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")
