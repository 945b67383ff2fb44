"""A call's state rebuilt from its stored record (pure): how a tracker that did not see a call
begin (the app restarted, or another node stored it) takes over one the database says is open.

The record keeps what the events told, not the events: the rebuilt call has its first channel
(Asterisk gives it Uniqueid == Linkedid, so its later events find it) carrying the stored start,
answer and caller, and the call-wide facts (digits, IVR path, queue, recordings, fax, originate,
order). The other channels are known by name only; the channel list Asterisk gives after the
login says which of them still live. The database is ours, but a row may come from an older
version or be damaged: anything of the wrong type is left out, never trusted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from callcenter.calls.record import MAX_DTMF, MAX_PATH, MAX_RECORDINGS, CallState, ChannelState
from ivr.agi.codec import is_channel_id

MAX_NAMES = 512  # as many channel names as a call may have channels (tracker.MAX_CHANNELS_PER_CALL)


def restored_call(record: Mapping[str, Any]) -> CallState | None:
    """The open call a stored record describes, or None if the record names no possible call."""
    linkedid = record.get("linkedid")
    if not isinstance(linkedid, str) or not is_channel_id(linkedid):
        return None
    names = [n for n in _list(record.get("channels")) if isinstance(n, str)][:MAX_NAMES]
    started = _time(record.get("started_at"))
    primary = ChannelState(name=names[0] if names else "", uniqueid=linkedid, created_at=started,
                           caller=_text(record.get("caller")), caller_name=_text(record.get("caller_name")),
                           exten=_text(record.get("called")), answered_at=_time(record.get("answered_at")))
    call = CallState(linkedid, channels={linkedid: primary}, last_seen=started, restored=True,
                     former_channels=names)
    call.dtmf = list(_text(record.get("dtmf")))[:MAX_DTMF]
    call.ivr_path = [s for s in _list(record.get("ivr_path")) if isinstance(s, str)][:MAX_PATH]
    call.recordings = [p for p in _list(record.get("recordings")) if isinstance(p, str)][:MAX_RECORDINGS]
    if isinstance(queue := record.get("queue"), dict):  # the keys the queue facts read, nothing else
        call.queue = {"name": _text(queue.get("name")) or None, "joined_at": _time(queue.get("joined_at")),
                      "wait_s": _number(queue.get("wait_s")), "abandoned": queue.get("abandoned") is True,
                      "agent": _text(queue.get("agent")) or None}
    if isinstance(fax := record.get("fax"), dict):
        call.fax = {"direction": _text(fax.get("direction")) or "receive", "pages": _number(fax.get("pages")) or 0,
                    "status": _text(fax.get("status")) or None, "file": _text(fax.get("file")) or None}
    call.originate = dict(orig) if isinstance(orig := record.get("originate"), dict) else None
    call.order_number = _text(record.get("order_number")) or None
    call.audiosocket = _text(record.get("audiosocket")) or None
    return call


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _number(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None
