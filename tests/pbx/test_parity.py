"""Simulator parity: the PBX simulator (callcenter.pbxsim, behind the demo and the fast tests) sends
the app's manager user what the real Asterisk with the shipped configuration sends it.

One run drives every scenario on the real PBX while an AMI tap logged in as the app's own manager
user (`zhitong`, the shipped manager.conf's read classes and event filters) records the stream;
then the simulator plays the same scenarios against the same running app (its FastAGI and
AudioSocket listeners) while the same kind of tap records its stream. Each call's events are cut
out and brought to a normal form (tests/pbx/streams.py: event names, the header-name sets of each
event, the order of each channel's events with the AGI and DTMF runs collapsed; values ignored),
and the two must be equal. ZHITONG_PARITY_DUMP=<dir> writes both streams and their normal forms
there, to see what changed when this fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from callcenter.callbacks.dialer import AmiDialer
from callcenter.fax.sample import render_fax_tiff
from callcenter.pbxsim import PbxSimulator
from callcenter.pbxsim import scenarios as sims
from callcenter.pbxsim.scenario import Scenario
from tests.pbx.ami import AmiTap, Event
from tests.pbx.streams import collect, differences, normalise
from tests.pbx.test_agent_calls import agent_script
from tests.pbx.test_callbacks import awaiting_callback, jobs, people  # noqa: F401 - the fixture
from tests.pbx.test_fax import LINES
from tests.pbx.test_ivr_queries import ORDER, query_script
from tests.pbx.test_messages import MESSAGE_CLIP, message_script
from tests.pbx.world import World

# Events a manager user gets that are about the PBX, not about a call (registrations, contacts).
SYSTEM_NOISE = frozenset({"PeerStatus", "ContactStatus", "Registry"})
SURVEYS = {"survey_answered": ("13900000411", sims.ORIGINATE_ANSWERED),
           "survey_busy": ("13900000417", sims.ORIGINATE_BUSY),
           "survey_no_answer": ("13900000418", sims.ORIGINATE_NO_ANSWER)}


@dataclass
class Inbound:
    number: str
    script: list[str]
    scenario: Scenario
    did: str = "12345"
    withheld: bool = False


def inbound_calls(world: World, order_digits: str) -> dict[str, Inbound]:
    recordings = (("ZT_RECDIR", str(world.spool / "recordings")),)  # a global in the shipped dialplan
    message = replace(sims.IVR_LEAVE_MESSAGE, audio_file=world.clip(MESSAGE_CLIP) + ".wav", variables=recordings)
    tiff = world.root / "clips" / "parity-fax.tif"
    tiff.write_bytes(render_fax_tiff(LINES))
    return {
        "message": Inbound("13800138401", message_script(world), message),
        "message_withheld": Inbound("13800138402", message_script(world),
                                    replace(sims.IVR_LEAVE_MESSAGE_WITHHELD, audio_file=message.audio_file,
                                            variables=recordings), withheld=True),
        "agent": Inbound("13800138403", agent_script(world), sims.IVR_AGENT_CALL),
        "order_query": Inbound("13800138404", query_script(order_digits),
                               replace(sims.IVR_ORDER_QUERY, presses=("4", f"{order_digits}#", "1"))),
        "fax": Inbound("02888886601", ["wait:2", f"fax:{tiff}", "wait:1"], sims.FAX_RECEIVED, did="12346"),
    }


def first_channel(events: list[Event], call: Inbound) -> str:
    """The Uniqueid of the hotline channel the call arrived on (a withheld caller is `anonymous`)."""
    number = "anonymous" if call.withheld else call.number
    return next(e["Uniqueid"] for e in events if e.get("Event") == "Newchannel"
                and e.get("Context") == "from-trunk" and e.get("CallerIDNum") == number)


def survey_channel(events: list[Event], phone: str) -> str:
    return next(e["Uniqueid"] for e in events if e.get("Event") == "Newchannel"
                and e.get("Context") == "outbound" and e.get("Exten") == phone and e["Channel"].endswith(";1"))


def record_real(world: World, users: dict[str, str], calls: dict[str, Inbound]) -> tuple[list[Event], dict[str, list[Event]]]:
    tap = AmiTap(world.ports.ami, "zhitong", world.secrets.ami)
    try:
        time.sleep(1)
        login = list(tap.events)
        tags = {name: world.call(c.script, number=c.number, did=c.did, withheld=c.withheld) for name, c in calls.items()}
        orders = {name: awaiting_callback(world, users, phone) for name, (phone, _) in SURVEYS.items()}
        for tag in tags.values():
            world.wait_caller_gone(tag, 180)
        deadline = time.monotonic() + 150  # a no answer rings for the whole originate timeout
        while time.monotonic() < deadline and not all(j["last_outcome"] for n in orders.values() for j in jobs(world, n)):
            time.sleep(1)
        time.sleep(3)  # the last Cdr and Hangup events
        events = list(tap.events)
    finally:
        tap.close()
    streams = {name: collect(events, first_channel(events, c)) for name, c in calls.items()}
    streams |= {name: collect(events, survey_channel(events, phone)) for name, (phone, _) in SURVEYS.items()}
    return login, streams


class _Recorder:
    """Stands in for the app's AMI client: keeps the Originate the app's dialer would send."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[tuple[str, str]]]] = []

    def next_action_id(self) -> str:
        return f"parity-{len(self.sent) + 1}"

    async def action(self, name: str, headers: list[tuple[str, str]], **_: Any) -> Any:
        self.sent.append((name, list(headers)))
        return type("Reply", (), {"ok": True})()


async def survey_originate(phone: str, channel_id: str) -> dict[str, str | list[str]]:
    recorder = _Recorder()
    await AmiDialer(recorder, None).originate(order_number="20261206-0001", phone=phone,  # type: ignore[arg-type]
                                              channel_id=channel_id)
    ((name, headers),) = recorder.sent
    return {"Action": name, **dict(headers)}


async def _until(condition: Any) -> None:
    while not condition():
        await asyncio.sleep(0.01)


async def record_sim(world: World, calls: dict[str, Inbound]) -> tuple[list[Event], dict[str, list[Event]]]:
    sim = PbxSimulator(agi_target=("127.0.0.1", world.ports.agi), audiosocket_target=("127.0.0.1", world.ports.audiosocket),
                       username="zhitong", secret=world.secrets.ami, time_scale=0.0)
    async with sim:
        tap = await asyncio.to_thread(AmiTap, sim.ami_port, "zhitong", world.secrets.ami)
        try:
            await asyncio.sleep(0.5)
            login = list(tap.events)
            firsts = {}
            for name, c in calls.items():  # the same caller (a withheld one is the scenario's anonymous)
                scenario = c.scenario if c.withheld else replace(c.scenario, caller_num=c.number, caller_name="<unknown>")
                firsts[name] = (await sim.run(scenario)).uniqueid
            for name, (phone, scenario) in SURVEYS.items():
                sim.expect_originate(scenario)
                done = len(sim.results)
                fields = await survey_originate(phone, f"cb-parity-{name}")
                reply = await asyncio.to_thread(tap.action, fields)
                assert reply.get("Response") == "Success", reply
                await asyncio.wait_for(_until(lambda n=done: len(sim.results) > n), 30)
                firsts[name] = sim.results[-1].uniqueid
            await asyncio.to_thread(tap.action, {"Action": "Ping"})  # every event before it has arrived
            events = list(tap.events)
        finally:
            tap.close()
    return login, {name: collect(events, uid) for name, uid in firsts.items()}


def login_names(events: list[Event]) -> set[str]:
    return {e["Event"] for e in events if e.get("Event") not in SYSTEM_NOISE}


def dump(side: str, streams: dict[str, list[Event]]) -> None:
    if not (where := os.environ.get("ZHITONG_PARITY_DUMP")):
        return
    out = Path(where)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{side}.json").write_text(json.dumps(streams, ensure_ascii=False, indent=1))
    forms = {name: {"sequences": n.sequences, "unordered": {k: sorted(v) for k, v in n.unordered.items()},
                    "shapes": {k: sorted(sorted(s) for s in v) for k, v in sorted(n.shapes.items())}}
             for name, n in ((name, normalise(s)) for name, s in streams.items())}
    (out / f"{side}.normal.json").write_text(json.dumps(forms, ensure_ascii=False, indent=1))


def test_the_simulator_sends_the_manager_user_what_asterisk_sends(world: World, people: dict[str, str]) -> None:  # noqa: F811
    status, order = world.app.api("POST", "/api/v1/orders", ORDER)
    assert status == 201, order
    calls = inbound_calls(world, order["number"].replace("-", ""))
    real_login, real = record_real(world, people, calls)
    dump("asterisk", real)
    sim_login, sim = asyncio.run(record_sim(world, calls))
    dump("simulator", sim)
    assert all(real.values()) and all(sim.values()), {n: len(s) for n, s in (real | sim).items()}
    report = {name: differences(normalise(real[name]), normalise(sim[name])) for name in real}
    if login_names(real_login) != login_names(sim_login):
        report["login"] = [f"Asterisk {sorted(login_names(real_login))}, simulator {sorted(login_names(sim_login))}"]
    failed = {name: lines for name, lines in report.items() if lines}
    assert not failed, "\n".join(f"--- {name}\n" + "\n".join(lines) for name, lines in failed.items())
