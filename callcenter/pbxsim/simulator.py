"""PbxSimulator: the facade that plays Asterisk's side of AMI, FastAGI and AudioSocket."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import deque
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from callcenter.ami.codec import Message
from callcenter.pbxsim import events as ev
from callcenter.pbxsim import flows
from callcenter.pbxsim.ami_server import AmiServer
from callcenter.pbxsim.call import Call, CallResult, PbxRestarted, hangup_events
from callcenter.pbxsim.channel import Channel, Clock, Ids
from callcenter.pbxsim.events import Pairs
from callcenter.pbxsim.manager_user import SHIPPED, ManagerUser
from callcenter.pbxsim.originate import originate
from callcenter.pbxsim.scenario import Scenario
from callcenter.pbxsim.scenarios import ORIGINATE_ANSWERED

logger = logging.getLogger(__name__)
SOFTHANGUP_SHUTDOWN = 4  # include/asterisk/channel.h AST_SOFTHANGUP_SHUTDOWN
_FLOWS = {"inbound": flows.inbound, "queue": flows.live_line, "fax": flows.fax}


class PbxSimulator:
    """``async with PbxSimulator(agi_target=(host, port)) as sim: await sim.run(scenario)``.

    ``time_scale``: real seconds per simulated second (0 = instant, 1 = real time; None = per scenario).
    ``manager_user``: the read classes and event filters of the AMI user (default: the app's user in
    the shipped manager.conf, so the simulator sends what a deployment sends; ``READ_ALL`` for all).
    An AMI ``Originate`` plays the next scenario given to :meth:`expect_originate` (else
    ``default_originate``) with the action's Channel, Context/Exten or Application, Variables.
    """

    def __init__(self, *, ami_port: int = 0, host: str = "127.0.0.1", agi_target: tuple[str, int] | None = None,
                 audiosocket_target: tuple[str, int] | None = None, username: str = "hotline",
                 secret: str = "hotline-secret", clock: Clock = time.time, auth_fail_delay: float = 1.0,
                 time_scale: float | None = 0.0, agi_timeout: float = 30.0,
                 default_originate: Scenario = ORIGINATE_ANSWERED, fax_dir: Path | None = None,
                 manager_user: ManagerUser = SHIPPED) -> None:
        self.host, self._port = host, ami_port
        self.agi_target, self.audiosocket_target = agi_target, audiosocket_target
        self.clock, self.time_scale, self.agi_timeout = clock, time_scale, agi_timeout
        self.default_originate = default_originate
        self.fax_dir = fax_dir  # the fax spool the app shares with "Asterisk" (ZHITONG_FAX_INCOMING_DIR)
        self.ids = Ids(clock)
        self.live: dict[str, Channel] = {}
        self.generation = 0  # Asterisk runs since the simulator started: restart() adds one
        self.restarted = asyncio.Event()  # set when the current run ends (a new one for the next)
        self.results: list[CallResult] = []
        self._originates: deque[Scenario] = deque()
        self._self_ids = itertools.count(1)
        self.ami = AmiServer(username=username, secret=secret, clock=clock, auth_fail_delay=auth_fail_delay,
                             channels=lambda: list(self.live.values()), on_originate=self._on_originate,
                             processed=lambda: len(self.results), user=manager_user)
        self.ami_port = 0

    async def __aenter__(self) -> PbxSimulator:
        await self.start()
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def start(self) -> None:
        self.ami_port = await self.ami.start(self.host, self._port)

    async def close(self) -> None:
        await self.ami.close()

    @property
    def events(self) -> list[Pairs]:
        return self.ami.events

    def emit(self, pairs: Pairs) -> None:
        self.ami.broadcast(pairs)

    async def restart(self) -> None:
        """``core restart now`` in Asterisk 22's order (main/asterisk.c can_safely_quit, really_quit):
        every channel is soft-hung-up with AST_SOFTHANGUP_SHUTDOWN (SoftHangupRequest Cause 4) and
        hangs up (Hangup Cause 0, then its Cdr); only then ``Event: Shutdown`` (Cleanly, Restart
        True), and the AMI connections close. The new run starts at once, with a new start time in
        CoreStatus; the calls that were in progress say nothing more."""
        channels = list(self.live.values())
        for ch in channels:
            self.emit(ev.hangup_request(ch, SOFTHANGUP_SHUTDOWN, soft=True))
        for ch in channels:
            for pairs in hangup_events(ch, 0, self.clock()):
                self.emit(pairs)
        self.live.clear()
        self.generation += 1
        self.restarted.set()
        self.restarted = asyncio.Event()
        self.emit(ev.shutdown(restart=True))
        await self.ami.drop_all()
        self.ami.start_time = self.clock()

    def expect_originate(self, scenario: Scenario) -> None:
        """The next AMI Originate action plays ``scenario`` (busy, no answer, answered + survey...)."""
        self._originates.append(scenario)

    async def run(self, scenario: Scenario) -> CallResult:
        """Play one call to the end. Originate scenarios run as if a client had sent an async Originate."""
        call = Call(self, scenario)
        try:
            if scenario.flow == "originate":
                await originate(call, None, f"pbxsim-{next(self._self_ids)}")
            else:
                await _FLOWS[scenario.flow](call)
        except PbxRestarted:
            call.result.error = "the PBX restarted during the call"
            call.cancel_tasks()
        self.results.append(call.result)
        return call.result

    async def run_forever(self, scenarios: Iterable[Scenario], interval_s: float = 5.0) -> None:
        """Demo loop: play the scenarios one after another, forever (cancel to stop)."""
        items = list(scenarios)
        if not items:
            raise ValueError("run_forever needs at least one scenario")
        for scenario in itertools.cycle(items):
            try:
                await self.run(scenario)
            except Exception:
                logger.exception("pbxsim scenario %s failed", scenario.name)
            await asyncio.sleep(interval_s)

    async def _on_originate(self, msg: Message) -> bool:
        scenario = self._originates.popleft() if self._originates else self.default_originate
        call = Call(self, scenario)
        try:
            return await originate(call, msg, msg.action_id)
        except PbxRestarted:
            call.result.error = "the PBX restarted during the call"
            call.cancel_tasks()
            return False
        finally:
            self.results.append(call.result)
