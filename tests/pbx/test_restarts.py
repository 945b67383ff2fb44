"""Calls cut by restarts and crashes on the real PBX: `core restart now`, Asterisk `kill -9`, and
the app's own `kill -9` and restart while a call goes on. These disturb the world, so they have a
module (and therefore a world) of their own."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from tests.pbx.world import BOTH_DATABASES, World

OWN_WORLD = True  # it restarts Asterisk and the app under its calls
BACKENDS = BOTH_DATABASES  # an app restart reloads open calls from the database
AGENT_TALK_S = 40  # the agent stays on the line long enough to restart things under the call
LONG_CALL = ["wait:4", "dtmf:0", "wait:70"]


def record_of(world: World, number: str, *, ended: bool = True, timeout: float = 60) -> dict[str, Any]:
    data = world.app.wait_for("/api/v1/calls?limit=100", lambda d: any(
        (c.get("caller") or "").endswith(number[-4:]) and (bool(c.get("ended_at")) or not ended)
        for c in d["items"]), timeout=timeout)
    summary = next(c for c in data["items"] if (c.get("caller") or "").endswith(number[-4:]))
    return world.app.get(f"/api/v1/calls/{summary['linkedid']}")


def agent_on_the_line(world: World, number: str) -> tuple[str, int]:
    start = world.tap.mark()
    tag = world.call(LONG_CALL, number=number)
    world.tap.wait_event(lambda e: e.get("UserEvent") == "AgentAnswered", 40, start)
    time.sleep(2)
    return tag, start


def when(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def reregistered(world: World) -> None:
    world.hotline.wait_for("pjsip show registrations", r"carrier-reg.*Registered", 60)
    world.hotline.wait_for("pjsip show contacts", r"agent1001/sip:agent1001@.*Avail", 60)
    world.wait_app_ami(60)


def test_core_restart_now_ends_calls_as_a_pbx_restart(world: World) -> None:
    tag, _ = agent_on_the_line(world, "13800138501")
    cut_at = time.time()
    world.hotline.rx("core restart now", check=False)
    world.wait_caller_gone(tag, 30)
    reregistered(world)
    record = record_of(world, "13800138501")
    assert record["end_reason"] == "pbx-restart", record
    assert record.get("hangup_cause") not in (16, "16"), record  # not a normal clearing
    assert abs(when(record["ended_at"]) - cut_at) < 5, (record["ended_at"], cut_at)


def test_asterisk_killed_mid_call_ends_the_call_when_the_connection_dropped(world: World) -> None:
    tag, _ = agent_on_the_line(world, "13800138502")
    time.sleep(4)  # a quiet stretch: no AMI events while both sides listen
    killed_at = time.time()
    world.hotline.kill9()
    world.hotline.start()
    reregistered(world)
    record = record_of(world, "13800138502")
    assert record["end_reason"] in ("pbx-restart", "gone-while-disconnected"), record
    assert abs(when(record["ended_at"]) - killed_at) < 2, (record["ended_at"], killed_at)
    assert tag


def test_app_killed_mid_call_then_restarted_closes_the_call_on_its_hangup(world: World) -> None:
    tag, _ = agent_on_the_line(world, "13800138503")
    record_of(world, "13800138503", ended=False)  # stored open
    world.app.kill9()
    world.app.start()
    world.wait_app_ami(60)
    world.wait_caller_gone(tag, 90)
    gone_at = time.time()
    record = record_of(world, "13800138503", timeout=60)
    assert record["ended_at"] and abs(when(record["ended_at"]) - gone_at) < 5, (record, gone_at)
    assert record.get("end_reason") in (None, ""), record  # its own hangup closed it


def test_call_that_ended_while_the_app_was_down_is_closed_after_restart(world: World) -> None:
    tag, _ = agent_on_the_line(world, "13800138504")
    record_of(world, "13800138504", ended=False)
    world.app.kill9()
    world.carrier.rx("channel request hangup all", check=False)
    world.wait_caller_gone(tag, 30)
    world.app.start()
    world.wait_app_ami(60)
    record = record_of(world, "13800138504", timeout=60)
    assert record["end_reason"] == "app-restart", record
