"""Two app nodes on one PostgreSQL database against one real Asterisk: both read every AMI event,
both run the schedulers; still every call is recorded once, every message makes one draft, every
order event one SMS, every survey job one dial."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.pbx.test_agent_calls import agent_script
from tests.pbx.test_callbacks import awaiting_callback, people  # noqa: F401 - the fixture is used
from tests.pbx.test_messages import draft_numbers, message_script, new_drafts
from tests.pbx.world import World

OWN_WORLD = True  # it adds an app node
BACKENDS = ["postgresql"]


def test_two_nodes_record_draft_text_and_dial_once(world: World, people: dict[str, str]) -> None:  # noqa: F811
    second = world.add_node()
    assert second.process is not None

    before = draft_numbers(world)
    start = world.tap.mark()
    message = world.call(message_script(world), number="13800138601")
    agent = world.call(agent_script(world), number="13800138602")
    world.wait_caller_gone(message)
    world.wait_caller_gone(agent, 90)
    drafts = new_drafts(world, before, count=2)
    time.sleep(8)  # a duplicate draft from the other node would have appeared by now
    data = world.app.get("/api/v1/orders?status=draft&limit=100")
    new = [o for o in data["items"] if o["number"] not in before]
    assert len(new) == 2 and len(drafts) == 2, [o["number"] for o in new]

    calls = world.app.get("/api/v1/calls?limit=100")["items"]
    for number in ("8601", "8602"):
        mine = [c for c in calls if (c.get("caller") or "").endswith(number)]
        assert len(mine) == 1 and mine[0]["ended_at"], mine

    number = awaiting_callback(world, people, "13900000611")
    world.app.wait_for(f"/api/v1/orders/{number}", lambda o: o["status"] == "closed", timeout=90)
    time.sleep(6)  # several scheduler ticks on both nodes
    rang = [e for e in world.tap.events[start:]
            if e.get("UserEvent") == "CalleeRang" and e.get("Number") == "13900000611"]
    assert len(rang) == 1, rang

    kinds = [m["template"] for m in sms_for(world, number)]
    assert kinds and len(kinds) == len(set(kinds)), kinds  # one SMS per order event, not one per node
    sent = world.app.wait_for("/api/v1/orders?limit=1", lambda d: True)  # the API still answers
    assert sent["items"]


def sms_for(world: World, order_number: str) -> list[dict[str, Any]]:
    out = world.app.cli("sms", "list")
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [r for r in rows if r.get("order_number") == order_number]
