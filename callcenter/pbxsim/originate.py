"""Originate (callback) flow: ring the dialled party, report OriginateResponse, run the dialplan."""

from __future__ import annotations

import re

from callcenter.ami.codec import Message
from callcenter.pbxsim import events as ev
from callcenter.pbxsim.call import Call
from callcenter.pbxsim.flows import after_agi

# Outcome -> (OriginateResponse Reason, Hangup cause, Cdr disposition, ringing state first?)
FAILURES = {
    "busy": (5, 17, "BUSY", False),
    "no_answer": (3, 19, "NO ANSWER", True),
    "congestion": (8, 34, "CONGESTION", False),
    "invalid": (0, 0, "FAILED", False),
}
_CALLERID = re.compile(r'\s*"?([^"<]*?)"?\s*<([^>]*)>\s*')


def _variables(msg: Message | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for value in msg.get_all("Variable") if msg is not None else []:
        for item in value.split(","):
            name, sep, val = item.partition("=")
            if sep and name.strip():
                out.append((name.strip(), val))
    return out


async def originate(call: Call, msg: Message | None, action_id: str | None) -> bool:
    """Returns True if the call was answered (the sync Originate reply depends on it)."""
    sc = call.sc
    get = msg.get if msg is not None else (lambda _name, default=None: default)
    dial = get("Channel") or sc.dial
    app = get("Application")
    target = [("Application", app), ("Data", get("Data") or "")] if app else [
        ("Context", get("Context") or "callback"), ("Exten", get("Exten") or "s")]
    num, name = sc.caller_num, sc.caller_name
    m = _CALLERID.fullmatch(get("CallerID") or "")
    if m:
        name, num = m.group(1).strip() or name, m.group(2) or num
    elif get("CallerID"):
        num = get("CallerID") or num
    context = get("Context") or "callback"
    ch = call.open(dial, state=0, caller_num=num, caller_name=name, context=context, exten=get("Exten") or "s")
    if sc.originate in FAILURES:
        reason, cause, disposition, rings = FAILURES[sc.originate]
        ch.state = 5 if rings else 7
        call.emit(ev.chan_event("Newstate", ch))
        if rings:
            timeout = float(get("Timeout") or sc.ring_timeout_s * 1000) / 1000
            await call.pause(timeout)
        call.emit(ev.hangup_request(ch, cause))
        call.close(ch, cause, disposition)
        call.result.originate_reason = reason
        call.emit(ev.originate_response(action_id, False, dial, target, reason, "<unknown>", num, name))
        call.finish(ch)
        return False
    ch.state = 5
    call.emit(ev.chan_event("Newstate", ch))
    await call.pause(3.0)
    call.answer(ch)
    for k, v in [*sc.variables, *_variables(msg)]:
        call.emit(ev.varset(ch, k, v))
    call.result.originate_reason = 4
    call.emit(ev.originate_response(action_id, True, ch.name, target, 4, ch.uniqueid, num, name))
    script, args = sc.agi_script, sc.agi_args
    if app and app.upper() == "AGI":
        parts = (get("Data") or "").split(",")
        script = parts[0].rpartition("/")[2] or script
        args = tuple(parts[1:])
    if script:
        await call.agi(ch, script, args)
    elif app:
        call.step(ch, app, get("Data") or "")
        await call.pause(2.0)
    await after_agi(call, ch)
    return True
