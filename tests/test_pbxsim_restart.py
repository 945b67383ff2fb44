"""``core restart now`` on the PBX simulator: Asterisk 22's order on the wire, and what the app's
call records make of it through its real AMI client."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.ami.client import AmiClient as AppAmiClient
from callcenter.ami.client import AmiConfig
from callcenter.calls.services import CallService
from callcenter.db.calls import CallRecordRepository
from callcenter.pbxsim import SCENARIOS, PbxSimulator
from tests.test_pbxsim_scenarios import harness

# A queue call whose agent talks for a minute: the restart comes in the middle of it.
TALKING = replace(SCENARIOS["queue_call"], ring_s=0.0, talk_s=60.0, time_scale=1.0)


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout)


async def test_channels_are_hung_up_before_asterisk_says_it_shuts_down() -> None:
    async with harness(time_scale=None) as h:
        call = asyncio.create_task(h.sim.run(TALKING))
        await h.ami.until(lambda m: m.name == "AgentConnect")
        live = set(h.sim.live)
        await h.ami.send("CoreStatus", aid="before")
        before = await h.ami.until(lambda m: m.action_id == "before")
        await h.sim.restart()
        try:
            await h.ami.until(lambda m: False, timeout=2)  # everything until the server closes
        except EOFError:
            pass
        await asyncio.wait_for(call, 5)  # the flow ends without a word more
    tail = [m for m in h.ami.events() if m.name in ("SoftHangupRequest", "Hangup", "Cdr", "Shutdown")]
    n = len(live)  # caller, agent and the two halves of the live-transcription spy leg
    assert n == 4
    assert [(m.name, m.get("Cause")) for m in tail] == (
        [("SoftHangupRequest", "4")] * n + [("Hangup", "0"), ("Cdr", None)] * n + [("Shutdown", None)])
    assert {m.get("Uniqueid") for m in tail if m.name == "Hangup"} == live
    assert (tail[-1].get("Shutdown"), tail[-1].get("Restart"), tail[-1].get("Privilege")) == (
        "Cleanly", "True", "system,all")
    assert h.sim.live == {}
    assert before.get("CoreStartupDate") and before.get("CoreStartupTime")


async def test_the_app_records_a_call_cut_by_core_restart_now_as_a_pbx_restart(engine: AsyncEngine) -> None:
    repo = CallRecordRepository(engine)
    service = CallService(repo, lambda: datetime(2026, 11, 23, 12, 0, tzinfo=UTC), tz=UTC)
    ticks = iter(range(1_795_435_000, 1_800_000_000))  # the PBX's clock: a second per reading
    async with PbxSimulator(clock=lambda: float(next(ticks)), time_scale=None) as sim:
        client = AppAmiClient(AmiConfig(host="127.0.0.1", port=sim.ami_port, username="hotline",
                                        secret="hotline-secret", backoff_initial=0.01),
                              service.on_event, on_session=service.on_session, on_disconnect=service.on_disconnect)
        running = asyncio.create_task(client.run())
        call: asyncio.Task[object] | None = None
        try:
            await until(lambda: service.resyncs == 1)
            call = asyncio.create_task(sim.run(TALKING))
            await until(lambda: any((r.get("queue") or {}).get("agent") for r in service.tracker.records()))
            (linkedid,) = {str(r["linkedid"]) for r in service.tracker.records()}
            await sim.restart()
            await until(lambda: service.resyncs == 2)  # logged in again to the new run, and reconciled
            await service.flush()
        finally:
            await client.stop()
            await asyncio.gather(running, return_exceptions=True)
            if call is not None:
                await asyncio.wait_for(call, 5)
    record = await repo.get(linkedid)
    assert record is not None and record["ended_at"] is not None
    assert record["end_reason"] == "pbx-restart" and record["hangup_cause"] == 41
    assert record["disposition"] == "ANSWERED" and record["queue"]["agent"] == "Agent 1001"
