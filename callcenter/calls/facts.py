"""What each AMI event type tells about a call: one small function per kind of fact.

Field names are looked up case-insensitively by ``Message.get`` because Asterisk spells them
differently per event type (``Uniqueid``/``UniqueID``, ``CallerIDNum``/``CallerIDnum``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, tzinfo
from typing import Any

from callcenter.ami.codec import Message
from callcenter.calls.record import CDR_DISPOSITIONS, MAX_CDRS, MAX_DTMF, CallState, ChannelState
from callcenter.calls.times import parse_local
from worksheet.callerid import caller_name, caller_number

# Events that only happen while a channel runs dialplan: their Context is an IVR step.
_DIALPLAN_EVENTS = frozenset({"Newexten", "AGIExecStart", "DTMFEnd", "QueueCallerJoin",
                              "UserEvent", "ReceiveFAX", "SendFAX", "FAXStatus"})
_RECORDING_VARS = frozenset({"MIXMONITOR_FILENAME", "RECORDED_FILE"})
_FAX_VARS = {"FAXSTATUS": "status", "FAXPAGES": "pages"}
# The dialplan keeps the AudioSocket UUID in a variable (VarSet) and/or announces it (UserEvent).
_AUDIOSOCKET_VARS = frozenset({"AS_UUID", "ZT_AUDIOSOCKET"})
AUDIOSOCKET_EVENT = "ZhitongAudioSocket"
IVR_STEP_EVENT = "ZhitongIvr"
RECORDING_EVENTS = frozenset({"ZhitongRecording", "HotlineMessage"})
FAX_RESULT_EVENT = "FaxResult"
# include/asterisk/channel.h: the flag only ast_softhangup_all() uses, for "core restart now" /
# "core stop now" (main/asterisk.c can_safely_quit), before Asterisk says Event: Shutdown.
SOFTHANGUP_SHUTDOWN = 1 << 2


# Bigger numbers are not causes, seconds or page counts of a call (int() would take 4,300 digits).
_MAX_NUMBER = 10**9
_MAX_HOURS = 24 * 366  # a channel up for longer than a year is not a channel
MAX_CALLER_NAME = 256


def _int(value: str | None, default: int | None = None) -> int | None:
    text = (value or "").strip()
    if len(text) > 10:
        return default
    try:
        number = int(text)
    except ValueError:
        return default
    return number if -_MAX_NUMBER < number < _MAX_NUMBER else default


def hms(value: str | None) -> timedelta:
    """``00:01:02`` (CoreShowChannel Duration) as a timedelta; zero if unreadable or absurd."""
    parts = (value or "").split(":")
    if len(parts) != 3 or not all(p.isdigit() and len(p) <= 6 for p in parts):
        return timedelta(0)
    h, m, s = (int(p) for p in parts)
    return timedelta(hours=h, minutes=m, seconds=s) if h <= _MAX_HOURS else timedelta(0)


def caller_id(channel: ChannelState, msg: Message) -> None:
    # "<unknown>" (no caller ID), "anonymous" (withheld), a SIP user name: none is a number to call back.
    if num := caller_number(msg.get("CallerIDNum")):
        channel.caller = num
    if name := caller_name(msg.get("CallerIDName"), MAX_CALLER_NAME):
        channel.caller_name = name


def originate_info(msg: Message) -> dict[str, Any]:
    return {"action_id": msg.get("ActionID"), "reason": _int(msg.get("Reason")), "response": msg.get("Response")}


def call_by_dial_string(calls: Iterable[CallState], dial: str) -> str | None:
    """A failed Originate names the dial string (``Local/busy@fail-sim``), not the channel
    (``Local/busy@fail-sim-00000004;1``): match the newest call not yet linked to an Originate."""
    if not dial:
        return None
    found = None
    for call in calls:
        p = call.primary
        if call.originate is None and p is not None and p.name.startswith(dial + "-"):
            found = call.linkedid
    return found


def apply(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None, tz: tzinfo) -> bool:
    """Apply one event to its call; False if it told nothing."""
    handler = _HANDLERS.get(msg.name or "")
    changed = handler(call, ch, msg, at, tz) if handler else False
    is_primary = ch is not None and ch is call.primary
    if is_primary and msg.name in _DIALPLAN_EVENTS and msg.get("Application") != "AppDial2":
        changed = call.add_context(msg.get("Context") or "") or changed
    return changed


Handler = Callable[[CallState, ChannelState | None, Message, datetime | None, tzinfo], bool]


def _caller(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None, tz: tzinfo) -> bool:
    if ch is None:
        return False
    caller_id(ch, msg)
    return True


def _state(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None, tz: tzinfo) -> bool:
    if ch is None:
        return False
    caller_id(ch, msg)
    if msg.get("ChannelStateDesc") == "Up" and ch.answered_at is None:
        ch.answered_at = at
    return True


def _hangup(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None, tz: tzinfo) -> bool:
    if ch is None:
        return False
    ch.hung_up, ch.cause = True, _int(msg.get("Cause"), 0)
    ch.hung_up_at = ch.hung_up_at or at
    return True


def _hangup_request(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None,
                    tz: tzinfo) -> bool:
    # ast_queue_hangup_with_cause(): a Q.850 cause, or -1 / 0 when none was given.
    if ch is None or (cause := _int(msg.get("Cause"))) is None or cause <= 0:
        return False
    ch.request_cause = cause
    return True


def _soft_hangup_request(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None,
                         tz: tzinfo) -> bool:
    # Its Cause is the AST_SOFTHANGUP_* flag ast_softhangup() was given, never a Q.850 cause: the
    # end of every dialplan sends 16 (APPUNLOAD), AGI HANGUP 32 (EXPLICIT). Only the shutdown one is
    # a fact about the call: Asterisk is stopping or restarting, and drops it.
    if ch is None or call.pbx_shutdown or _int(msg.get("Cause")) != SOFTHANGUP_SHUTDOWN:
        return False
    call.pbx_shutdown = True
    return True


def _cdr(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None, tz: tzinfo) -> bool:
    if ch is None:
        return False
    disposition = (msg.get("Disposition") or "").strip().upper() or None
    if disposition not in CDR_DISPOSITIONS:
        disposition = None  # not one Asterisk writes (cdr.c ast_cdr_disp2str); the column holds 16 characters
    if len(ch.cdrs) >= MAX_CDRS:
        return False
    ch.cdrs.append({
        "start": parse_local(msg.get("StartTime"), tz), "answer": parse_local(msg.get("AnswerTime"), tz),
        "end": parse_local(msg.get("EndTime"), tz), "duration": _int(msg.get("Duration")),
        "billsec": _int(msg.get("BillableSeconds")), "disposition": disposition,
        "src": msg.get("Source") or None, "dst": msg.get("Destination") or None,
        "callerid": msg.get("CallerID"),
    })
    return True


def _dtmf(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None, tz: tzinfo) -> bool:
    if ch is None or ch is not call.primary or (msg.get("Direction") or "Received") != "Received":
        return False
    digit = msg.get("Digit") or ""
    if len(digit) != 1 or len(call.dtmf) >= MAX_DTMF:
        return False
    call.dtmf.append(digit)
    return True


def _newexten(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None, tz: tzinfo) -> bool:
    app = (msg.get("Application") or "").lower()
    if app in ("mixmonitor", "record") and (data := msg.get("AppData")):
        call.add_recording(data.split(",", 1)[0])
        return True
    return False


def _varset(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None, tz: tzinfo) -> bool:
    var, value = (msg.get("Variable") or "").upper(), msg.get("Value") or ""
    if var in _RECORDING_VARS and value:
        call.add_recording(value)
        return True
    if var in _AUDIOSOCKET_VARS and value:
        call.audiosocket = value.lower()
        return True
    if var in _FAX_VARS and value and ch is call.primary and call.fax is not None:
        call.fax[_FAX_VARS[var]] = _int(value, 0) if var == "FAXPAGES" else value
        return True
    return False


def _agi(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None, tz: tzinfo) -> bool:
    words = (msg.get("Command") or "").split()
    if len(words) >= 4 and [w.upper() for w in words[:2]] == ["RECORD", "FILE"]:
        path, fmt = words[2].strip('"'), words[3].strip('"')
        call.add_recording(f"{path}.{fmt}")
        return True
    return False


def _user_event(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None, tz: tzinfo) -> bool:
    kind = msg.get("UserEvent") or ""
    if kind == IVR_STEP_EVENT and (step := msg.get("Step")):
        call.add_path(step)
        return True
    if kind == AUDIOSOCKET_EVENT and (uuid := msg.get("UUID")):
        call.audiosocket = uuid.lower()
        return True
    if kind in RECORDING_EVENTS and (path := msg.get("File")):
        call.add_recording(path)
        return True
    if kind == FAX_RESULT_EVENT:
        fax = call.fax or {"direction": "receive", "pages": 0, "status": None, "file": None}
        fax["status"] = msg.get("Status") or fax["status"]
        fax["pages"] = _int(msg.get("Pages"), fax["pages"])
        fax["file"] = msg.get("File") or fax["file"]
        call.fax = fax
        return True
    return False


def _fax(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None, tz: tzinfo) -> bool:
    if ch is None or (call.fax is not None and ch is not call.primary):
        return False  # the far leg of a call we already know the fax of (Local channel pairs)
    name = msg.name
    direction = {"ReceiveFAX": "receive", "SendFAX": "send"}.get(name or "") or msg.get("Operation") or "receive"
    fax = call.fax or {"direction": direction, "pages": 0, "status": None, "file": None}
    if ch is call.primary:
        fax["direction"] = direction
    fax["file"] = msg.get("FileName") or fax["file"]
    if name in ("ReceiveFAX", "SendFAX"):
        fax["pages"] = _int(msg.get("PagesTransferred"), 0)
        if fax["status"] is None:
            fax["status"] = "SUCCESS" if fax["pages"] else "FAILED"
    call.fax = fax
    return True


def _queue_join(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None, tz: tzinfo) -> bool:
    call.queue = {"name": msg.get("Queue"), "joined_at": at, "wait_s": None, "abandoned": False, "agent": None}
    return True


def _queue_connect(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None,
                   tz: tzinfo) -> bool:
    if call.queue is None:
        return False
    call.queue["agent"] = msg.get("MemberName") or msg.get("Interface")
    call.queue["wait_s"] = _int(msg.get("HoldTime"))
    return True


def _queue_abandon(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None,
                   tz: tzinfo) -> bool:
    if call.queue is None:
        return False
    call.queue["abandoned"] = True
    call.queue["wait_s"] = _int(msg.get("HoldTime"), call.queue["wait_s"])
    return True


def _queue_leave(call: CallState, ch: ChannelState | None, msg: Message, at: datetime | None, tz: tzinfo) -> bool:
    q = call.queue
    if q is None or q["wait_s"] is not None or q["agent"] is not None:
        return False
    joined = q.get("joined_at")
    if joined is not None and at is not None:
        q["wait_s"] = max(0, int((at - joined).total_seconds()))
    return True


_HANDLERS: dict[str, Handler] = {
    "NewCallerid": _caller, "NewConnectedLine": _caller, "Newstate": _state,
    "Hangup": _hangup, "SoftHangupRequest": _soft_hangup_request, "HangupRequest": _hangup_request,
    "Cdr": _cdr, "DTMFEnd": _dtmf, "Newexten": _newexten, "VarSet": _varset, "AGIExecStart": _agi,
    "UserEvent": _user_event, "ReceiveFAX": _fax, "SendFAX": _fax, "FAXStatus": _fax,
    "QueueCallerJoin": _queue_join, "AgentConnect": _queue_connect, "QueueCallerAbandon": _queue_abandon,
    "QueueCallerLeave": _queue_leave,
}

# Every event type that can change a record; anything else is dropped by name.
RELEVANT = frozenset(_HANDLERS) | _DIALPLAN_EVENTS | {"Newchannel", "OriginateResponse"}
# Events read only for their time stamps, when replaying a stream that has no receive times.
TIME_SOURCES = frozenset({"CEL", "SuccessfulAuth", "Cdr", "Newchannel"})
