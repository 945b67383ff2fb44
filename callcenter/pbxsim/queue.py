"""A queue that gives up, in docker/asterisk/conf/extensions.conf [hotline-queue] and [agi-fail]
as Asterisk runs them (an agent answering is callcenter.pbxsim.live).

Queue() returns only when no agent took the call (QUEUESTATUS JOINEMPTY, TIMEOUT…); the dialplan
then runs the hotline AGI with the argument ``message`` and goes on by what it set in ZT_NEXT:
"hangup" (the message was taken), "agent" (the back office failed: [agi-fail]), anything else
(the AGI was unreachable) an apology and goodbye.
"""

from __future__ import annotations

from callcenter.pbxsim import events as ev
from callcenter.pbxsim.call import Call
from callcenter.pbxsim.channel import Channel

# QUEUESTATUS values with which Queue() returns before the caller ever joins.
NOT_JOINED = frozenset({"JOINEMPTY", "JOINUNAVAIL", "FULL"})
LEAVE_AFTER_S = 5.0  # LEAVEEMPTY/LEAVEUNAVAIL: the members went away while the caller waited


async def gave_up(call: Call, ch: Channel) -> None:
    """Queue() returned without an agent: the caller may leave a message."""
    await queue_gives_up(call, ch)
    call.step(ch, "Set", "ZT_NEXT=")
    call.emit(ev.varset(ch, "ZT_NEXT", ""))
    await call.agi(ch, "hotline", ("message",))
    if call.dead:
        call.end(ch, 16)
        return
    following = ch.variables.get("ZT_NEXT", "").lower()
    if following == "agent":
        await agi_fail(call, ch)
        return
    if following != "hangup":
        say(call, ch, "queue-busy")
        say(call, ch, "goodbye")
    hang_up(call, ch)


async def agi_fail(call: Call, ch: Channel) -> None:
    """[agi-fail]: apologise, try the agents once more, then say goodbye."""
    call.goto(ch, "agi-fail")
    call.step(ch, "Answer")
    say(call, ch, "agi-fail")
    await queue_gives_up(call, ch)
    say(call, ch, "queue-busy")
    say(call, ch, "goodbye")
    hang_up(call, ch)


async def queue_gives_up(call: Call, ch: Channel) -> None:
    sc = call.sc
    call.step(ch, "Queue", f"{sc.queue},t,,,{int(sc.queue_wait_s)}")
    if sc.queue_status not in NOT_JOINED:
        call.emit(ev.queue_caller("QueueCallerJoin", ch, sc.queue, 1, 1))
        await call.pause(sc.queue_wait_s if sc.queue_status == "TIMEOUT" else LEAVE_AFTER_S)
        call.emit(ev.queue_caller("QueueCallerLeave", ch, sc.queue, 1, 0))
    call.emit(ev.varset(ch, "QUEUESTATUS", sc.queue_status))
    call.step(ch, "NoOp", f"QUEUESTATUS={sc.queue_status}")


def say(call: Call, ch: Channel, prompt: str) -> None:
    """Gosub(zt-say,s,1(<prompt>,…)): the prompt is there, so its fallback is not played."""
    call.step(ch, "Playback", f"zhitong/{prompt}")
    call.emit(ev.varset(ch, "PLAYBACKSTATUS", "SUCCESS"))


def hang_up(call: Call, ch: Channel) -> None:
    call.step(ch, "Hangup", "16")
    call.end(ch, 16, soft=True)
