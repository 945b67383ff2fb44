"""One call's accumulated state, and the record (JSON object) derived from it.

Values reported by Asterisk's own ``Cdr`` for the call's first channel win over what is derived
from channel events: the Cdr is Asterisk's account of the call, while events can be missing
(``eventfilter``) or cut by a reconnect.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from callcenter.calls.times import iso
from worksheet.callerid import caller_name, caller_number

_UNKNOWN = ("", "<unknown>")
_CALLERID = re.compile(r'^\s*"?(?P<name>[^"<]*)"?\s*<(?P<num>[^>]*)>\s*$')
DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION")
CDR_DISPOSITIONS = frozenset({*DISPOSITIONS, "CANCEL", "UNKNOWN"})  # what Asterisk's Cdr can say
# What one call may accumulate: far above any real call, low enough that a stream of garbage
# events about one call cannot grow memory (or the stored record) without bound.
MAX_DTMF = 512
MAX_PATH = 256
MAX_RECORDINGS = 64
MAX_CDRS = 32
# Q.850 causes that tell why an unanswered call failed, for calls without a Cdr.
# A call the PBX dropped by restarting (or stopping): one end reason and one cause, whether Asterisk
# hung it up itself on the way down or it died with a crash and was closed at the reconnect.
PBX_RESTART = "pbx-restart"
PBX_RESTART_CAUSE = 41  # Q.850 temporary failure
# Calls closed because Asterisk no longer had them, at a time nobody saw: while our AMI connection
# was down, or while this app was not running (a record it took over from the database).
GONE_WHILE_DISCONNECTED = "gone-while-disconnected"
APP_RESTART = "app-restart"
_CAUSE_DISPOSITION = {17: "BUSY", 18: "NO ANSWER", 19: "NO ANSWER", 21: "NO ANSWER",
                      34: "CONGESTION", 38: "CONGESTION", 42: "CONGESTION"}


@dataclass
class ChannelState:
    name: str
    uniqueid: str
    created_at: datetime | None = None
    caller: str = ""
    caller_name: str = ""
    exten: str = ""
    answered_at: datetime | None = None
    hung_up_at: datetime | None = None
    hung_up: bool = False
    cause: int | None = None
    request_cause: int | None = None  # last HangupRequest cause (Q.850; a SoftHangupRequest has none)
    cdrs: list[dict[str, str]] = field(default_factory=list)


@dataclass
class CallState:
    linkedid: str
    channels: dict[str, ChannelState] = field(default_factory=dict)  # by Uniqueid, creation order
    ivr_path: list[str] = field(default_factory=list)
    dtmf: list[str] = field(default_factory=list)
    queue: dict[str, Any] | None = None
    recordings: list[str] = field(default_factory=list)
    fax: dict[str, Any] | None = None
    originate: dict[str, Any] | None = None
    order_number: str | None = None
    last_seen: datetime | None = None
    closed_at: datetime | None = None  # set when the call was closed without its own Hangup events
    end_reason: str | None = None  # why a resync closed it ("pbx-restart", "gone-while-disconnected")
    forced_cause: int | None = None
    pbx_shutdown: bool = False  # Asterisk soft-hung it up because it was stopping or restarting
    last_context: str | None = None
    audiosocket: str | None = None  # UUID of an AudioSocket stream of this call (live transcript)
    restored: bool = False  # rebuilt from its stored record; not yet checked against Asterisk's channels
    former_channels: list[str] = field(default_factory=list)  # names the stored record had

    @property
    def end_guessed(self) -> bool:
        """Closed because its channels were gone, without Hangup events to tell when."""
        return self.closed_at is not None

    @property
    def primary(self) -> ChannelState | None:
        """The call's first channel: Asterisk gives it Uniqueid == Linkedid."""
        return self.channels.get(self.linkedid) or next(iter(self.channels.values()), None)

    @property
    def ended(self) -> bool:
        if self.closed_at is not None:
            return True
        return bool(self.channels) and all(ch.hung_up for ch in self.channels.values())

    def add_context(self, context: str) -> bool:
        """A dialplan context entered; IVR steps reported inside it do not make it "new" again."""
        if not context or context == self.last_context:
            return False
        self.last_context = context
        self.add_path(context)
        return True

    def add_path(self, step: str) -> None:
        if step and (not self.ivr_path or self.ivr_path[-1] != step) and len(self.ivr_path) < MAX_PATH:
            self.ivr_path.append(step)

    def add_recording(self, path: str) -> None:
        path = path.strip()
        if not path:
            return
        stem = _stem(path)
        for i, known in enumerate(self.recordings):
            if _stem(known) == stem:
                if "." not in known.rsplit("/", 1)[-1] and path != known:
                    self.recordings[i] = path  # prefer the name with its extension
                return
        if len(self.recordings) < MAX_RECORDINGS:
            self.recordings.append(path)

    def to_json(self) -> dict[str, Any]:
        p = self.primary
        cdr = _merged_cdr(p.cdrs) if p else {}
        started = cdr.get("start") or (p.created_at if p else None) or _first(
            ch.created_at for ch in self.channels.values())
        answered = cdr["answer"] if "answer" in cdr else (p.answered_at if p else None)
        ended = cdr.get("end") or self._end_time()
        ended = ended if self.ended or cdr else None
        duration = cdr.get("duration")
        if duration is None:
            duration = _seconds(started, ended)
        billsec = cdr.get("billsec")
        if billsec is None:
            billsec = _seconds(answered, ended) if answered else (0 if ended else None)
        cause = self._cause()
        return {
            "linkedid": self.linkedid,
            "caller": (p.caller if p else "") or caller_number(_cid(cdr.get("callerid"), "num"))
            or caller_number(cdr.get("src")),
            "caller_name": (p.caller_name if p else "") or caller_name(_cid(cdr.get("callerid"), "name")) or None,
            "called": self._called(cdr),
            "channels": self._channel_names(),
            "started_at": iso(started),
            "answered_at": iso(answered),
            "ended_at": iso(ended),
            "duration_s": duration,
            "billsec_s": billsec,
            "disposition": cdr.get("disposition") or (self._derived_disposition(answered, cause) if ended else None),
            "hangup_cause": cause if ended else None,
            "dtmf": "".join(self.dtmf),
            "ivr_path": list(self.ivr_path),
            "queue": {**self.queue, "joined_at": iso(self.queue.get("joined_at"))} if self.queue else None,
            "recordings": list(self.recordings),
            "fax": dict(self.fax) if self.fax else None,
            "originate": dict(self.originate) if self.originate else None,
            "order_number": self.order_number,
            "end_reason": self.end_reason or (PBX_RESTART if self.pbx_shutdown and ended else None),
            "audiosocket": self.audiosocket,
        }

    def _channel_names(self) -> list[str]:
        names = [ch.name for ch in self.channels.values()]
        former = self.former_channels
        return [*former, *(n for n in names if n and n not in former)] if former else names

    def _end_time(self) -> datetime | None:
        if self.closed_at is not None:
            return self.closed_at
        times = [ch.hung_up_at for ch in self.channels.values() if ch.hung_up_at]
        return max(times) if times else None

    def _called(self, cdr: dict[str, Any]) -> str | None:
        p = self.primary
        if p and _known(p.exten) and p.exten != "s":
            return p.exten
        return cdr.get("dst") or (p.exten if p and _known(p.exten) else None)

    def _cause(self) -> int:
        if self.forced_cause is not None:
            return self.forced_cause
        if self.pbx_shutdown:
            return PBX_RESTART_CAUSE
        p = self.primary
        if p and p.cause:
            return p.cause
        for ch in self.channels.values():
            if ch.cause:
                return ch.cause
        return (p.request_cause or 0) if p else 0

    @staticmethod
    def _derived_disposition(answered: datetime | None, cause: int) -> str:
        if answered is not None:
            return "ANSWERED"
        return _CAUSE_DISPOSITION.get(cause, "FAILED")


def _merged_cdr(cdrs: list[dict[str, Any]]) -> dict[str, Any]:
    """One channel can get several Cdr events (forked CDRs): span them, prefer ANSWERED."""
    if not cdrs:
        return {}
    first, last = cdrs[0], cdrs[-1]
    merged = dict(first)
    merged["end"] = last.get("end")
    answers = [c["answer"] for c in cdrs if c.get("answer")]
    merged["answer"] = answers[0] if answers else None
    dispositions = [c.get("disposition") for c in cdrs]
    merged["disposition"] = "ANSWERED" if "ANSWERED" in dispositions else last.get("disposition")
    if len(cdrs) > 1:
        merged["duration"] = _seconds(merged.get("start"), merged["end"])
        merged["billsec"] = sum(c.get("billsec") or 0 for c in cdrs)
    return merged


def _known(value: str | None) -> str:
    return "" if value is None or value.strip() in _UNKNOWN else value


def _cid(value: str | None, part: str) -> str:
    m = _CALLERID.match(value or "")
    return _known(m.group(part).strip()) if m else ""


def _first(values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds()))


def _stem(path: str) -> str:
    head, _, name = path.rpartition("/")
    for ext in (".wav", ".WAV", ".gsm", ".wav49", ".ulaw", ".alaw", ".sln", ".g722", ".mp3"):
        if name.endswith(ext):
            return f"{head}/{name[: -len(ext)]}"
    return path
