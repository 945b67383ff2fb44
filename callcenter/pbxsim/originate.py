"""Originate (callbacks): the app dials ``Local/<number>@outbound`` (callcenter.pbxsim.local_callback);
a dial string that is not a Local channel is dialled directly, and that channel runs the target."""

from __future__ import annotations

from callcenter.ami.codec import Message
from callcenter.pbxsim import events as ev
from callcenter.pbxsim.call import Call
from callcenter.pbxsim.flows import after_agi
from callcenter.pbxsim.local_callback import dial_local
from callcenter.pbxsim.originate_request import FAILURES, Failure, Request, failed, request, run_target


async def originate(call: Call, msg: Message | None, action_id: str | None) -> bool:
    """Returns True if the call was answered (the sync Originate reply depends on it)."""
    req = request(call, msg)
    if call.sc.originate == "invalid":  # no channel could be made
        return failed(call, req, action_id, 0)
    if req.dial.startswith("Local/"):
        return await dial_local(call, req, action_id)
    return await _direct(call, req, action_id)


async def _direct(call: Call, req: Request, action_id: str | None) -> bool:
    """A dial string that is not Local: that channel rings, answers and runs the target itself."""
    sc = call.sc
    target = dict(req.target)
    ch = call.open(req.dial, state=0, uniqueid=req.channel_id, caller_num=req.caller_num,
                   caller_name=req.caller_name, context=target.get("Context", "default"),
                   exten=target.get("Exten", "s"))
    if sc.originate in FAILURES or sc.originate == "no_answer":
        f = FAILURES.get(sc.originate) or Failure(3, 19, ev.SIP_NO_ANSWER, "NOANSWER", "NO ANSWER", "")
        call.set_state(ch, 5 if sc.originate == "no_answer" else 7)
        if sc.originate == "no_answer":
            await call.pause(req.timeout_s)
        call.emit(ev.hangup_request(ch, f.cause, tech_cause=f.tech_cause))
        call.hang_up(ch, f.cause, tech_cause=f.tech_cause)
        call.cdr(ch, f.disposition)
        failed(call, req, action_id, f.reason)
        call.finish(ch)
        return False
    call.set_state(ch, 5)
    await call.pause(3.0)
    call.answer(ch)
    call.result.originate_reason = 4
    call.emit(ev.originate_response(action_id, True, ch.name, req.target, 4, ch.uniqueid, req.caller_num,
                                    req.caller_name))
    await run_target(call, req, ch, [ch])
    await after_agi(call, ch)
    return True
