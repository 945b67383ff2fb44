"""The agent queue with its live-transcription spy leg (``hotline-queue``, ``zt-live``, ``zt-live-spy``
in the shipped dialplan), in the order Asterisk 22 sends the events (tests/pbx/test_parity.py).

``zt-live`` announces a UUID on the caller's channel (``UserEvent: ZhitongAudioSocket``) and
originates ``Local/<token>@zt-live-spy/n``: its ``;2`` half runs ChanSpy on the caller, its ``;1``
half AudioSocket to the app, streaming what the spy hears (the scenario's caller audio). The spy
leg has a Linkedid of its own; the app tells it from a call by its ``@zt-live-spy-`` name.
"""

from __future__ import annotations

import asyncio
import uuid as _uuid
from dataclasses import dataclass

from callcenter.pbxsim import dial_events as dial
from callcenter.pbxsim import events as ev
from callcenter.pbxsim.audiosocket_client import AudioSocketTranscript, stream_call, tone
from callcenter.pbxsim.call import Call
from callcenter.pbxsim.channel import Channel
from callcenter.pbxsim.queue import gave_up
from callcenter.pbxsim.voice import caller_audio, write_call_recording

QUEUE_WAIT_S = 120  # ZT_QUEUE_WAIT


@dataclass
class SpyLeg:
    one: Channel  # runs AudioSocket
    two: Channel  # runs ChanSpy on the caller
    stream: asyncio.Task[AudioSocketTranscript] | None


async def queue(call: Call, caller: Channel) -> None:
    """hotline-queue: zt-live, then Queue(): the agent rings, answers, talks and hangs up."""
    sc = call.sc
    call.goto(caller, "hotline-queue")
    call.step(caller, "NoOp", f"Queueing {caller.caller_num}")
    call.step(caller, "Gosub", "zt-live,s,1")
    spy = zt_live(call, caller)
    call.goto(caller, "hotline-queue", priority=3)
    if sc.queue_status:  # no agent takes the call: the message path (callcenter.pbxsim.queue)
        await gave_up(call, caller)
        await end_spy(call, spy)
        return
    call.step(caller, "Queue", f"{sc.queue},t,,,{QUEUE_WAIT_S}")
    call.emit(ev.queue_caller("QueueCallerJoin", caller, sc.queue, 1, 1))
    call.emit(dial.moh_start(caller))
    member = dial.Member(sc.queue, sc.agent, sc.agent_name, login_time=int(call.sim.ami.start_time))
    agent = call.open(sc.agent, state=0, linkedid=caller.linkedid, caller_num=sc.agent_num,
                      caller_name=sc.agent_name, context="agents", exten="s")
    call.emit(ev.agent_event("AgentCalled", caller, agent, sc.queue, sc.agent, sc.agent_name))
    call.emit(dial.dial_begin(caller, agent, sc.agent))
    caller.connected_num, caller.connected_name = agent.caller_num, agent.caller_name
    call.emit(ev.chan_event("NewConnectedLine", caller))
    agent.connected_num, agent.connected_name = caller.caller_num, caller.caller_name
    call.set_state(agent, 5)
    call.emit(ev.chan_event("NewConnectedLine", agent))
    call.emit(member.status(dial.DEVICE_RINGING))
    call.emit(dial.dial_state(caller, agent))
    if spy.stream is not None:
        call.emit(dial.chanspy("ChanSpyStart", spy.two, caller))
    await call.pause(sc.ring_s)
    call.answer(agent)
    call.emit(dial.dial_end(caller, agent, "ANSWER"))
    call.emit(dial.moh_stop(caller))
    call.emit(ev.queue_caller("QueueCallerLeave", caller, sc.queue, 1, 0))
    ring = str(int(sc.ring_s))
    call.emit(ev.agent_event("AgentConnect", caller, agent, sc.queue, sc.agent, sc.agent_name,
                             ("HoldTime", ring), ("RingTime", ring)))
    bridge = dial.Bridge()
    call.emit(dial.bridge_create(bridge))
    call.emit(dial.bridge_enter(bridge, agent))
    call.emit(dial.bridge_enter(bridge, caller))
    await call.pause(sc.talk_s)
    # The agent hangs up; Queue() hangs the caller up after the bridge (the `t` option is transfer only).
    call.emit(ev.hangup_request(agent, 16))
    call.emit(ev.agent_event("AgentComplete", caller, agent, sc.queue, sc.agent, sc.agent_name,
                             ("HoldTime", ring), ("TalkTime", str(int(sc.talk_s))), ("Reason", "agent")))
    call.emit(dial.bridge_leave(bridge, agent))
    call.emit(dial.bridge_leave(bridge, caller))
    call.emit(ev.hangup_request(caller, 16, soft=True))
    call.emit(dial.bridge_destroy(bridge))
    call.hang_up(agent, 16)  # Queue's member leg has no CDR of its own: the caller's names it
    await asyncio.to_thread(write_call_recording, caller.variables, sc.variables, sc.audio_file)
    member.calls_taken, member.last_call = 1, int(call.clock())
    call.emit(member.status(dial.DEVICE_NOT_INUSE))
    call.cdr(caller, peer=agent.name)
    if spy.stream is not None:
        call.emit(dial.chanspy("ChanSpyStop", spy.two, caller))
    call.hang_up(caller, 16)
    await end_spy(call, spy)


def zt_live(call: Call, caller: Channel) -> SpyLeg:
    call.goto(caller, "zt-live")
    call.step(caller, "GotoIf", '$["" != ""]?done')
    call_uuid = str(_uuid.uuid4())
    token = call_uuid.replace("-", "")
    call.step(caller, "Set", "ZT_LIVE_UUID=${UUID()}")
    call.emit(ev.varset(caller, "ZT_LIVE_UUID", call_uuid))
    call.step(caller, "Set", f"ZT_LIVE_TOKEN={token}")
    call.step(caller, "Set", f"SPYGROUP={token}")
    call.step(caller, "UserEvent", f"ZhitongAudioSocket,UUID: {call_uuid}")
    call.emit(ev.user_event(caller, "ZhitongAudioSocket", [("UUID", call_uuid)]))
    target = call.sim.audiosocket_target
    host, port = target if target is not None else ("app", 9092)
    call.step(caller, "Originate", f"Local/{token}@zt-live-spy/n,app,AudioSocket,{call_uuid}\\,{host}:{port},,,a")
    one, two = call.open_local(f"Local/{token}@zt-live-spy")
    call.emit(dial.local_bridge(one, two, optimize=False))
    call.emit(dial.dial_begin(None, one, f"{token}@zt-live-spy/n"))
    two.answered = one.answered = call.clock()
    call.set_state(two, 6)
    call.set_state(one, 6)
    call.emit(dial.dial_end(None, one, "ANSWER"))
    call.step(one, "AudioSocket", f"{call_uuid},{host}:{port}")
    call.step(two, "ChanSpy", f",qESg({token})")
    stream = None
    if target is None:  # AudioSocket() cannot connect: ;1 ends at once, ChanSpy with it; the call goes on
        call.hang_up(one, 16)
        call.cdr(one)
        call.emit(ev.hangup_request(two, 16))
        call.hang_up(two, 16)
        call.cdr(two)
    else:
        sc = call.sc
        pcm = caller_audio(sc.audio_file) if sc.audio_file else tone(sc.audio_s)
        stream = call.spawn(stream_call(
            host, port, pcm, call_uuid=_uuid.UUID(call_uuid), dtmf=sc.audio_dtmf, dtmf_at_s=sc.audio_s / 2,
            realtime=(1.0 / call.scale) if call.scale else 0.0))
    call.goto(caller, "zt-live", priority=7)
    call.step(caller, "Return")
    return SpyLeg(one, two, stream)


async def end_spy(call: Call, spy: SpyLeg) -> None:
    """The caller is gone: ChanSpy returns and ``;2`` hangs up, which hangs ``;1`` up, which ends
    the AudioSocket stream (the scenario's audio is streamed whole first)."""
    if spy.stream is None:
        return
    try:
        call.result.audiosocket = await spy.stream
    except OSError as exc:
        call.result.error = f"AudioSocket: {exc!r}"
    call.step(spy.two, "Hangup")
    call.emit(ev.hangup_request(spy.two, 16, soft=True))
    call.cdr(spy.two)
    call.emit(ev.hangup_request(spy.one, 16))
    call.hang_up(spy.two, 16)
    call.hang_up(spy.one, 16)
    call.cdr(spy.one)
