"""One simulated call: channel life cycle helpers shared by every flow."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from callcenter.pbxsim import events as ev
from callcenter.pbxsim.agi_client import AgiTranscript, run_fastagi
from callcenter.pbxsim.agi_commands import AgiChannelSim
from callcenter.pbxsim.audiosocket_client import AudioSocketTranscript
from callcenter.pbxsim.caller import Caller
from callcenter.pbxsim.channel import Channel, Ids
from callcenter.pbxsim.scenario import Scenario
from callcenter.pbxsim.voice import caller_audio

if TYPE_CHECKING:
    from callcenter.pbxsim.simulator import PbxSimulator

T = TypeVar("T")


class PbxRestarted(Exception):
    """The simulated Asterisk restarted under a call: its flow stops (PbxSimulator.run returns)."""


@dataclass
class CallResult:
    scenario: str
    uniqueid: str = ""
    linkedid: str = ""
    answered: bool = False
    originate_reason: int | None = None
    agi: list[AgiTranscript] = field(default_factory=list)
    audiosocket: AudioSocketTranscript | None = None
    caller_pressed: list[str] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    events: list[ev.Pairs] = field(default_factory=list)
    error: str | None = None


class Call:
    def __init__(self, sim: PbxSimulator, scenario: Scenario) -> None:
        self.sim, self.sc = sim, scenario
        self.ids: Ids = sim.ids
        self.clock: Callable[[], float] = sim.clock
        self.result = CallResult(scenario.name)
        self.caller = Caller(scenario.presses, hangup_after=scenario.hangup_after,
                             hangup_when_done=scenario.hangup_when_done)
        scale = sim.time_scale if sim.time_scale is not None else scenario.time_scale
        self.scale = scale or 0.0
        self.dead = False
        self.generation = sim.generation
        self.tasks: list[asyncio.Task[Any]] = []  # what runs beside the flow (a spy leg's stream)

    def spawn(self, coro: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run ``coro`` beside the call; a restart of the PBX cancels it (PbxSimulator.run)."""
        task = asyncio.ensure_future(coro)
        self.tasks.append(task)
        return task

    def cancel_tasks(self) -> None:
        for task in self.tasks:
            task.cancel()

    def emit(self, pairs: ev.Pairs) -> None:
        if not self.alive:
            return
        self.result.events.append(pairs)
        self.sim.emit(pairs)

    async def pause(self, seconds: float) -> None:
        """Simulated time passing; a restart of the PBX meanwhile ends the call's flow."""
        if self.alive and seconds * self.scale > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.sim.restarted.wait(), seconds * self.scale)
        elif self.alive:
            await asyncio.sleep(0)
        if not self.alive:
            raise PbxRestarted(self.sc.name)

    def open(self, base: str, *, state: int, linkedid: str | None = None, **kw: object) -> Channel:
        """A new channel (Newchannel); ``uniqueid``/``name`` in ``kw`` fix its id and name."""
        ch = self.ids.new_channel(base, linkedid=linkedid, state=state, **kw)
        if self.alive:
            self.sim.live[ch.uniqueid] = ch
        self.emit(ev.chan_event("Newchannel", ch))
        if not self.result.uniqueid:
            self.result.uniqueid, self.result.linkedid = ch.uniqueid, ch.linkedid
        return ch

    def open_local(self, base: str, *, uniqueid: str | None = None, other_uniqueid: str | None = None,
                   **kw: object) -> tuple[Channel, Channel]:
        """``Local/<exten>@<context>``: its ``;1`` half (Down) and ``;2`` half (Ring, running the
        dialplan at exten@context), one Linkedid; an Originate's ChannelId is the ``;1`` Uniqueid,
        ``<ChannelId>;2`` the other unless OtherChannelId says (core_local.c, channel.c)."""
        exten, _, context = base.partition("/")[2].partition("@")
        one = self.open(base, state=0, uniqueid=uniqueid, context=context, exten=exten, **kw)
        two = self.open(base, state=4, linkedid=one.linkedid, name=one.name[:-1] + "2",
                        uniqueid=other_uniqueid or (f"{uniqueid};2" if uniqueid else None), context=context,
                        exten=exten, **kw)
        return one, two

    def step(self, ch: Channel, app: str, data: str = "") -> None:
        """Next dialplan priority running ``app`` (Newexten: read by no manager user we ship)."""
        if ch.application:
            ch.priority += 1
        self.emit(ev.newexten(ch, app, data))

    def goto(self, ch: Channel, context: str, exten: str = "s", priority: int = 1) -> None:
        ch.context, ch.exten, ch.priority, ch.application = context, exten, priority, ""

    def set_state(self, ch: Channel, state: int) -> None:
        ch.state = state
        self.emit(ev.chan_event("Newstate", ch))

    def answer(self, ch: Channel) -> None:
        ch.answered = self.clock()
        self.set_state(ch, 6)
        self.result.answered = True

    def hang_up(self, ch: Channel, cause: int = 16, *, tech_cause: int | None = None) -> None:
        """The channel is gone (Hangup); its Cdr, if it has one of its own, is :meth:`cdr`."""
        if self.alive:
            self.sim.live.pop(ch.uniqueid, None)
        self.emit(ev.hangup(ch, cause, tech_cause))

    def cdr(self, ch: Channel, disposition: str | None = None, *, peer: str = "",
            app: tuple[str, str] | None = None) -> None:
        disp = disposition or ("ANSWERED" if ch.answered is not None else "NO ANSWER")
        self.emit(ev.cdr(ch, self.clock(), disp, ch.variables.get("CDR(userfield)", ""), peer=peer, app=app))

    def end(self, ch: Channel, cause: int = 16, disposition: str | None = None, *, soft: bool = False) -> None:
        """The dialplan (``soft``) or the far end hangs the channel up: Hangup, then its Cdr."""
        if soft:
            self.emit(ev.hangup_request(ch, cause, soft=True))
        self.hang_up(ch, cause)
        self.cdr(ch, disposition)

    @property
    def alive(self) -> bool:
        """False once the simulated Asterisk restarted under this call: it says nothing more."""
        return self.generation == self.sim.generation

    async def agi(self, ch: Channel, script: str, args: tuple[str, ...] = (),
                  dtmf_path: list[Channel] | None = None) -> AgiChannelSim | None:
        """AGI(agi://host:port/script,args); None if no FastAGI target is configured or it is down.
        ``dtmf_path``: the channels a key pressed crosses on its way to ``ch`` (callee first)."""
        target = self.sim.agi_target
        if target is None:
            self.emit(ev.varset(ch, "AGISTATUS", "FAILURE"))
            return None
        host, port = target
        self.step(ch, "AGI", f"agi://{host}:{port}/{script}" + "".join("," + a for a in args))
        sim = AgiChannelSim(ch, self.caller, self.emit, step_delay=0.02 * self.scale, dtmf_path=dtmf_path)
        if self.sc.audio_file:
            sim.voice = caller_audio(self.sc.audio_file)
        try:
            transcript = await run_fastagi(host, port, sim, script, args, timeout=self.sim.agi_timeout)
        except (OSError, TimeoutError) as exc:
            self.result.error = f"FastAGI {script}: {exc!r}"
            self.emit(ev.varset(ch, "AGISTATUS", "FAILURE"))
            return None
        self.result.agi.append(transcript)
        self.result.caller_pressed = list(self.caller.pressed)
        self.dead = self.dead or sim.dead
        self.emit(ev.varset(ch, "AGISTATUS", "HANGUP" if sim.dead else "SUCCESS"))
        return sim

    def finish(self, ch: Channel) -> None:
        self.result.variables = dict(ch.variables)
        self.result.caller_pressed = list(self.caller.pressed)


def hangup_events(ch: Channel, cause: int, end: float, disposition: str | None = None) -> list[ev.Pairs]:
    """A channel's Hangup and its Cdr (every channel's, when Asterisk shuts down)."""
    disp = disposition or ("ANSWERED" if ch.answered is not None else "NO ANSWER")
    return [ev.hangup(ch, cause), ev.cdr(ch, end, disp, ch.variables.get("CDR(userfield)", ""))]
