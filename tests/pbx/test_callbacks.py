"""Satisfaction callbacks through the real PBX: the app's scheduler originates
Local/<phone>@outbound, the shipped outbound context dials the carrier trunk, the carrier's callee
answers and presses a digit (or is busy, or never answers), the survey AGI records the rating."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.pbx.world import World

HANDLER_PASSWORD = "pbx-test-handler-password"


@pytest.fixture(scope="module")
def people(world: World) -> dict[str, str]:
    world.app.cli("units", "load", "demo")
    for name, role, unit in (("agent1", "agent", None), ("boss1", "supervisor", None), ("jtj1", "unit_handler", "jtj")):
        world.app.cli("user", "add", name, "--role", role, *(["--unit", unit] if unit else []),
                      extra_env={"ZHITONG_NEW_PASSWORD": HANDLER_PASSWORD})
    return {name: world.app.login(name, HANDLER_PASSWORD) for name in ("agent1", "boss1", "jtj1")}


def act(world: World, token: str, number: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    status, data = world.app.api("POST", f"/api/v1/orders/{number}/{action}", body or {}, token=token)
    assert status == 200, (action, status, data)
    return data


def awaiting_callback(world: World, people: dict[str, str], phone: str) -> str:
    status, order = world.app.api("POST", "/api/v1/orders", {
        "channel": "phone", "category": "help", "subject": "道路施工影响货物运输",
        "content": "华翔路道路施工，附近企业货物无法运出。",
        "enterprise": {"name": "绵阳华翔物流有限公司", "contact_person": "王经理", "phone": phone}},
        token=people["agent1"])
    assert status == 201, order
    number = order["number"]
    act(world, people["agent1"], number, "dispatch", {"lead_unit": "jtj"})
    act(world, people["jtj1"], number, "accept")
    act(world, people["jtj1"], number, "reply", {"content": "已协调施工单位调整作业时间。"})
    assert act(world, people["boss1"], number, "check", {"passed": True})["status"] == "callback_pending"
    return number


def jobs(world: World, number: str) -> list[dict[str, Any]]:
    out = world.app.cli("callbacks", "list")
    return [j for j in (json.loads(line) for line in out.splitlines() if line.strip()) if j["order_number"] == number]


def test_survey_answered_1_closes_the_order(world: World, people: dict[str, str]) -> None:
    number = awaiting_callback(world, people, "13900000011")
    order = world.app.wait_for(f"/api/v1/orders/{number}", lambda o: o["status"] == "closed", timeout=90)
    assert order["callbacks"][-1]["rating"] == "satisfied", order["callbacks"]
    rang = world.tap.wait_event(lambda e: e.get("UserEvent") == "CalleeRang" and e.get("Number") == "13900000011", 5)
    assert rang.get("From") in ("12345", "hotline"), rang  # the hotline's number is presented
    (job,) = jobs(world, number)
    assert job["status"] == "done" and job["result"] == "satisfied", job


def test_survey_answered_3_reopens_the_order(world: World, people: dict[str, str]) -> None:
    number = awaiting_callback(world, people, "13900000013")
    order = world.app.wait_for(f"/api/v1/orders/{number}",
                               lambda o: o["status"] not in ("callback_pending",) and o["callbacks"], timeout=90)
    assert order["callbacks"][-1]["rating"] == "unsatisfied" and order["status"] != "closed", order["status"]
    assert order["unsatisfied_count"] == 1


def test_busy_callee_is_retried_later(world: World, people: dict[str, str]) -> None:
    number = awaiting_callback(world, people, "13900000017")
    deadline_jobs = world.app.wait_for(f"/api/v1/orders/{number}", lambda o: True)  # the order exists
    assert deadline_jobs["status"] == "callback_pending"
    import time
    for _ in range(90):
        (job,) = jobs(world, number)
        if job["last_outcome"]:
            break
        time.sleep(1)
    assert job["last_outcome"] == "busy" and job["attempts"] == 1 and job["status"] == "scheduled", job


def test_unanswered_callee_is_retried_later(world: World, people: dict[str, str]) -> None:
    number = awaiting_callback(world, people, "13900000018")
    import time
    for _ in range(150):  # the dialplan rings for ZT_DIAL_TIMEOUT (45 s)
        (job,) = jobs(world, number)
        if job["last_outcome"]:
            break
        time.sleep(1)
    assert job["last_outcome"] == "no_answer" and job["status"] == "scheduled", job
    assert world.app.get(f"/api/v1/orders/{number}")["status"] == "callback_pending"
