"""The agent queue of the simulated hotline: docker/asterisk/conf/extensions.conf [hotline-queue] and
[agi-fail], as Asterisk runs them.

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


def goto(ch: Channel, context: str) -> None:
    ch.context, ch.exten, ch.priority, ch.application = context, "s", 1, ""


async def queue(call: Call, ch: Channel) -> None:
    """[hotline-queue]: an agent answers, or the queue gives up and the caller may leave a message."""
    goto(ch, "hotline-queue")
    call.step(ch, "NoOp", f"Queueing {ch.caller_num}")
    if not call.sc.queue_status:
        await agent_answers(call, ch)
        return
    await queue_gives_up(call, ch)
    call.step(ch, "Set", "ZT_NEXT=")
    call.emit(ev.varset(ch, "ZT_NEXT", ""))
    await call.agi(ch, "hotline", ("message",))
    if call.dead:
        call.close(ch, 16)
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
    goto(ch, "agi-fail")
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


async def agent_answers(call: Call, ch: Channel) -> None:
    sc = call.sc
    call.step(ch, "Queue", f"{sc.queue},t,,,{int(sc.queue_wait_s)}")
    call.emit(ev.queue_caller("QueueCallerJoin", ch, sc.queue, 1, 1))
    agent = call.open(sc.agent, state=0, linkedid=ch.linkedid, caller_num=ch.caller_num,
                      caller_name=ch.caller_name, context="from-queue", exten="s")
    call.emit(ev.agent_event("AgentCalled", ch, agent, sc.queue, sc.agent, sc.agent_name))
    agent.state = 5
    call.emit(ev.chan_event("Newstate", agent))
    await call.pause(sc.ring_s)
    call.answer(agent)
    call.emit(ev.queue_caller("QueueCallerLeave", ch, sc.queue, 1, 0))
    ring = str(int(sc.ring_s))
    call.emit(ev.agent_event("AgentConnect", ch, agent, sc.queue, sc.agent, sc.agent_name,
                             ("HoldTime", ring), ("RingTime", ring)))
    await call.pause(sc.talk_s)
    call.emit(ev.agent_event("AgentComplete", ch, agent, sc.queue, sc.agent, sc.agent_name,
                             ("HoldTime", ring), ("TalkTime", str(int(sc.talk_s))), ("Reason", "agent")))
    call.close(agent, 16)
    call.close(ch, 16)


def say(call: Call, ch: Channel, prompt: str) -> None:
    """Gosub(zt-say,s,1(<prompt>,…)): the prompt is there, so its fallback is not played."""
    call.step(ch, "Playback", f"zhitong/{prompt}")
    call.emit(ev.varset(ch, "PLAYBACKSTATUS", "SUCCESS"))


def hang_up(call: Call, ch: Channel) -> None:
    call.step(ch, "Hangup", "16")
    call.close(ch, 16, soft=True)
