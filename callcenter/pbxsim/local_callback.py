"""A callback to ``Local/<number>@outbound``, as the app dials them: the ``;2`` half runs the shipped
``outbound`` context (Dial to the carrier), the ``;1`` half the Originate's context once the callee
answers, in the order Asterisk 22 sends the events (tests/pbx/test_parity.py)."""

from __future__ import annotations

from callcenter.pbxsim import dial_events as dial
from callcenter.pbxsim import events as ev
from callcenter.pbxsim.call import Call
from callcenter.pbxsim.channel import Channel
from callcenter.pbxsim.originate_request import FAILURES, Failure, Request, failed, run_target

CARRIER = "PJSIP/carrier"  # the trunk endpoint the shipped outbound context dials
DIAL_TIMEOUT_S = 45  # ZT_DIAL_TIMEOUT


async def dial_local(call: Call, req: Request, action_id: str | None) -> bool:
    """Returns True if the callee answered."""
    one, two = call.open_local(req.dial, uniqueid=req.channel_id, other_uniqueid=req.other_channel_id)
    number = one.exten
    for ch in (one, two):  # CallerID= of the Originate, on both halves
        ch.caller_num = req.caller_num
        call.emit(ev.new_callerid(ch))
        ch.connected_num = req.caller_num
        call.emit(ev.chan_event("NewConnectedLine", ch))
    call.emit(dial.local_bridge(one, two, optimize=True))
    call.emit(dial.dial_begin(None, one, f"{number}@{one.context}"))
    call.step(two, "NoOp", f"Outbound call to {number}")
    call.step(two, "Set", f"CALLERID(num)={req.caller_num}")
    call.step(two, "Dial", f"PJSIP/{number}@carrier,{DIAL_TIMEOUT_S}")
    callee = call.open(CARRIER, state=0, linkedid=one.linkedid, context="from-trunk", exten="s")
    callee.caller_num, callee.connected_num, callee.exten = number, req.caller_num, number
    call.emit(ev.new_callerid(callee))
    call.emit(ev.chan_event("NewConnectedLine", callee))
    call.emit(dial.dial_begin(two, callee, f"{number}@carrier"))
    two.connected_num = number
    call.emit(ev.chan_event("NewConnectedLine", two))
    outcome = call.sc.originate
    if outcome in FAILURES:
        return _refused(call, req, action_id, (one, two, callee), FAILURES[outcome])
    call.set_state(callee, 5)
    one.caller_num = number
    call.set_state(one, 5)
    call.emit(ev.new_callerid(one))
    call.emit(dial.dial_state(two, callee))
    call.emit(dial.dial_state(None, one))
    if outcome == "no_answer":
        return await _unanswered(call, req, action_id, (one, two, callee))
    return await _answered(call, req, action_id, (one, two, callee))


async def _answered(call: Call, req: Request, action_id: str | None,
                    legs: tuple[Channel, Channel, Channel]) -> bool:
    """The callee answers: ;2 and the callee are bridged, ;1 runs the survey, then hangs up."""
    one, two, callee = legs
    await call.pause(3.0)
    call.answer(callee)
    call.emit(dial.dial_end(two, callee, "ANSWER"))
    call.answer(two)
    bridge = dial.Bridge()
    call.emit(dial.bridge_create(bridge))
    call.emit(dial.bridge_enter(bridge, callee))
    call.answer(one)
    call.result.originate_reason = 4
    call.emit(ev.originate_response(action_id, True, one.name, req.target, 4, one.uniqueid, req.caller_num,
                                    req.caller_name))
    call.emit(dial.dial_end(None, one, "ANSWER"))
    call.emit(dial.bridge_enter(bridge, two))
    await run_target(call, req, one, [callee, two, one])
    if call.dead:  # the callee hung up first
        call.emit(ev.hangup_request(callee, 16))
    else:
        call.step(one, "Hangup")
        call.emit(ev.hangup_request(one, 16, soft=True))
        call.emit(ev.hangup_request(two, 16))
    call.hang_up(one, 16)
    call.cdr(one)
    call.emit(dial.bridge_leave(bridge, two))
    call.emit(dial.bridge_leave(bridge, callee))
    call.cdr(two, peer=callee.name)
    call.emit(dial.bridge_destroy(bridge))
    call.emit(ev.hangup_request(two, 16, soft=True))
    call.hang_up(two, 16)
    call.hang_up(callee, 16)
    call.finish(one)
    return True


def _refused(call: Call, req: Request, action_id: str | None, legs: tuple[Channel, Channel, Channel],
             f: Failure) -> bool:
    """Busy or congestion: the carrier refuses at once; outbound-result plays Busy/Congestion."""
    one, two, callee = legs
    call.emit(ev.hangup_request(callee, f.cause, tech_cause=f.tech_cause))
    call.emit(dial.dial_end(two, callee, f.dial_status))
    call.hang_up(callee, f.cause, tech_cause=f.tech_cause)
    call.cdr(one, f.disposition, app=("AppDial2", "(Outgoing Line)"))
    failed(call, req, action_id, f.reason)
    call.emit(dial.dial_end(None, one, f.dial_status))
    call.cdr(two, f.disposition, peer=callee.name)
    call.emit(ev.hangup_request(two, 0))  # the originator gave up on ;1
    call.goto(two, "outbound-result")
    call.step(two, "NoOp", f"DIALSTATUS={f.dial_status}")
    call.step(two, f.fallback, "5")
    if f.fallback == "Busy":
        call.set_state(two, 7)
    call.cdr(two, f.disposition)
    call.emit(ev.hangup_request(two, 16, soft=True))
    call.hang_up(two, f.cause)
    call.hang_up(one, 0)
    one.caller_num = one.exten  # Asterisk 22 still updates ;1's caller id after its Hangup
    call.emit(ev.new_callerid(one))
    call.finish(one)
    return False


async def _unanswered(call: Call, req: Request, action_id: str | None,
                      legs: tuple[Channel, Channel, Channel]) -> bool:
    """Rings until the Originate's Timeout: the originator hangs ;1 up, Dial is cancelled."""
    one, two, callee = legs
    await call.pause(req.timeout_s)
    call.emit(ev.hangup_request(two, 19))
    call.cdr(two, "NO ANSWER", peer=callee.name)
    failed(call, req, action_id, 3)
    call.emit(dial.dial_end(two, callee, "CANCEL"))
    call.emit(ev.hangup_request(two, 16, soft=True))
    call.hang_up(two, 19)
    call.hang_up(one, 19)
    call.hang_up(callee, 19, tech_cause=ev.SIP_NO_ANSWER)
    call.cdr(one, "NO ANSWER", app=("AppDial2", "(Outgoing Line)"))
    call.finish(one)
    return False
