"""Calls that reach a real agent: the caller presses 0, the queue rings the agent softphone
(agent1001 registered from the carrier Asterisk), both talk (real Mandarin clips), the call is
transcribed live while it goes on and its recording becomes a draft afterwards."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

from tests.pbx.audio import measure
from tests.pbx.test_messages import draft_numbers, new_drafts, transcript_of
from tests.pbx.world import World

CALLER_CLIP = "common_voice_zh-CN_18641876"


class LiveListener:
    """GET /api/v1/live (server-sent events) in a thread; keeps (arrival time, event)."""

    def __init__(self, world: World) -> None:
        world.app.get("/api/v1/me")  # logs in
        self.events: list[tuple[float, dict[str, Any]]] = []
        req = urllib.request.Request(f"{world.app.base}/api/v1/live",
                                     headers={"Authorization": f"Bearer {world.app.token}"})
        self._resp = urllib.request.urlopen(req, timeout=300)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for raw in self._resp:
                line = raw.decode(errors="replace").strip()
                if line.startswith("data:"):
                    try:
                        self.events.append((time.time(), json.loads(line[5:])))
                    except ValueError:
                        pass
        except (OSError, ValueError, AttributeError):
            pass  # closed from the test's thread: http.client then fails in several ways

    def close(self) -> None:
        self._resp.close()


def agent_script(world: World) -> list[str]:
    # main menu: 0 = an agent; the agent answers after ~1 s of ringing and speaks first
    return ["wait:4", "dtmf:0", "wait:9", f"play:{world.clip(CALLER_CLIP)}", "wait:30"]


def call_record(world: World, tag_number: str) -> dict[str, Any]:
    data = world.app.wait_for("/api/v1/calls?limit=50",
                              lambda d: any(c.get("ended_at") and (c.get("caller") or "").endswith(tag_number[-4:])
                                            for c in d["items"]), timeout=60)
    summary = next(c for c in data["items"] if (c.get("caller") or "").endswith(tag_number[-4:]))
    return world.app.get(f"/api/v1/calls/{summary['linkedid']}")


def test_agent_call_is_transcribed_live_and_becomes_a_draft(world: World) -> None:
    before = draft_numbers(world)
    live = LiveListener(world)
    try:
        start = world.tap.mark()
        tag = world.call(agent_script(world), number="13800138101")
        answered = world.tap.wait_event(lambda e: e.get("UserEvent") == "AgentAnswered", 40, start)
        gone = world.wait_caller_gone(tag, 90)
        hung_up_at = time.time()
        assert gone.get("Cause") in ("16", "0"), gone
    finally:
        time.sleep(1)
        live.close()
    texts = [(t, e) for t, e in live.events if e.get("kind") in ("partial", "final") and e.get("text")]
    assert texts, f"no live transcript while the call went on: {live.events[:10]}"
    assert texts[0][0] < hung_up_at - 2, "live text only arrived after the call"

    record = call_record(world, "13800138101")
    assert (record.get("queue") or {}).get("agent"), record
    assert any(r.endswith(".wav") for r in record.get("recordings") or []), record
    assert any((t.get("source") or "").startswith("audiosocket:") for t in record.get("transcripts") or []), record

    (order,) = new_drafts(world, before)  # the agent call's recording, transcribed
    assert order["enterprise"]["phone"] == "138****8101"

    # Until the agent speaks the caller must hear something all the time (prompts, hold music);
    # afterwards silence is the agent listening. The caller's recording starts with its script.
    first = world.tap.wait_event(lambda e: e.get("UserEvent") == "CallerStep" and e.get("Tag") == tag, 5, start)
    waited = float(answered["_at"]) - float(first["_at"]) + 2
    heard = measure(world.heard_file(tag), end_s=waited)
    assert heard.seconds > 8 and heard.longest_silence_s < 3, heard


def live_line_script(world: World) -> list[str]:
    return ["wait:3", f"play:{world.clip(CALLER_CLIP)}", "wait:25"]


def test_live_line_goes_straight_to_an_agent_and_is_transcribed_live(world: World) -> None:
    live = LiveListener(world)
    try:
        start = world.tap.mark()
        tag = world.call(live_line_script(world), number="13800138102", did="12347")
        answered = world.tap.wait_event(lambda e: e.get("UserEvent") == "AgentAnswered", 30, start)
        world.wait_caller_gone(tag, 90)
        hung_up_at = time.time()
    finally:
        time.sleep(1)
        live.close()
    texts = [t for t, e in live.events if e.get("kind") in ("partial", "final") and e.get("text")]
    assert texts and texts[0] < hung_up_at - 2, live.events[:10]
    first = world.tap.wait_event(lambda e: e.get("UserEvent") == "CallerStep" and e.get("Tag") == tag, 5, start)
    heard = measure(world.heard_file(tag), end_s=float(answered["_at"]) - float(first["_at"]) + 2)
    assert heard.longest_silence_s < 3, heard


def test_audiosocket_server_down_the_caller_still_reaches_the_agent(world: World) -> None:
    from tests.pbx.world import free_port
    closed = free_port()  # nothing listens there
    world.hotline.rx(f"dialplan set global ZT_AUDIOSOCKET_PORT {closed}")
    try:
        start = world.tap.mark()
        tag = world.call(live_line_script(world), number="13800138103", did="12347")
        answered = world.tap.wait_event(lambda e: e.get("UserEvent") == "AgentAnswered", 30, start)
        world.wait_caller_gone(tag, 90)
    finally:
        world.hotline.rx(f"dialplan set global ZT_AUDIOSOCKET_PORT {world.ports.audiosocket}")
    record = call_record(world, "13800138103")
    assert (record.get("queue") or {}).get("agent"), record
    assert record.get("disposition") in (None, "ANSWERED") or record.get("answered_at"), record
    first = world.tap.wait_event(lambda e: e.get("UserEvent") == "CallerStep" and e.get("Tag") == tag, 5, start)
    heard = measure(world.heard_file(tag), end_s=float(answered["_at"]) - float(first["_at"]) + 2)
    assert heard.longest_silence_s < 3, heard


def test_no_agent_logged_in_the_caller_hears_agents_are_busy_and_leaves_a_message(world: World) -> None:
    from tests.pbx.test_messages import MESSAGE_CLIP, assert_transcribed
    world.carrier.rx("pjsip send unregister agentphone")
    deadline = time.monotonic() + 20
    while "agent1001/sip:" in world.hotline.rx("pjsip show contacts") and time.monotonic() < deadline:
        time.sleep(0.5)
    try:
        script = ["wait:4", "dtmf:0", "wait:13", f"play:{world.clip(MESSAGE_CLIP)}", "wait:1", "dtmf:#", "wait:8"]
        tag = world.call(script, number="13800138104")
        world.wait_caller_gone(tag, 90)
        # earlier tests' agent calls may still be turning into drafts: find this call's own
        record = call_record(world, "13800138104")
        assert record["order_number"], record
        order = world.app.wait_for(f"/api/v1/orders/{record['order_number']}",
                                   lambda o: transcript_of(o) is not None, timeout=120)
        assert_transcribed(world, order)
        path = record.get("ivr_path") or []
        assert "agent" in path and "agents-busy" in path, path  # told why, then asked for a message
        heard = measure(world.heard_file(tag), end_s=world.step_offset(tag, "play:"))
        assert heard.longest_silence_s < 3, heard
    finally:
        world.carrier.rx("pjsip send register agentphone")
        world.hotline.wait_for("pjsip show contacts", r"agent1001/sip:agent1001@.*Avail", 30)
