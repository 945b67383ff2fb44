"""Generated JSON bodies for POST /api/v1/orders and every POST /api/v1/orders/{number}/{action}:
never a 5xx, and nothing half-written.

Bodies are mostly the right shape with some fields wrong (types, enums, dates from year 1 to 9999
with and without offsets, numbers beyond 64 bits, text with NUL, lone surrogates, markup and SQL),
plus arbitrary JSON. After a 4xx nothing changed: the order's version and history are as they
were, no order and no order number were created, no SMS was queued. After a 2xx the order reads
back as the response described it, and its history replays to it. Derandomized, with no example
database, so CI runs the same examples every time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from callcenter.db.tables import order_counters, orders, sms_outbox
from callcenter.keys import ORDERS
from tests.security.hostile import ROLES, Stage, create_order, module_stage
from worksheet.commands import PERSON_COMMANDS
from worksheet.evolve import replay
from worksheet.model import Category, Channel, Rating, Role, Urgency
from worksheet.transitions import allowed_commands

PROFILE = settings(max_examples=120, derandomize=True, database=None, deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=8)))  # the stage's clock
NASTY = ("\x00", "\ud800", "\udfff", "\u202e", "<script>alert(1)</script>", "'; DROP TABLE orders;--", "%00",
         "../../etc/passwd", "１２３", "\r\n")
plain = st.sampled_from(["路灯不亮", "华翔路施工，货车出不去。", "王经理", "请尽快协调", "a"]) | st.text(min_size=1, max_size=20)
nasty = st.lists(st.characters() | st.sampled_from(NASTY), min_size=1, max_size=8).map("".join)
numbers = st.integers(-(10**30), 10**30) | st.floats(allow_nan=False, allow_infinity=False) | st.booleans()
junk = st.recursive(st.none() | nasty | numbers,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(nasty, inner, max_size=3), max_leaves=5)
recent = st.integers(0, 30 * 24 * 60).map(lambda m: (NOW - timedelta(minutes=m)).isoformat())
extreme_dates = st.builds(lambda d, tz: d.replace(tzinfo=tz).isoformat(), st.datetimes(),
                          st.none() | st.timedeltas(timedelta(hours=-23), timedelta(hours=23)).map(timezone))
bad_values = st.one_of(nasty, nasty, junk, extreme_dates, st.integers(-(10**25), 10**25), st.sampled_from(
    ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "", "   "]))
enterprises = st.fixed_dictionaries({"name": st.sampled_from(["绵阳华翔物流有限公司", "福城区某某科技有限公司"])}, optional={
    "credit_code": st.just("91350100M000100Y43"), "contact_person": plain,
    "phone": st.sampled_from(["13800138000", "+86 139-0013-9000", "0816-2345678"])})
valid_new_orders = st.fixed_dictionaries(
    {"channel": st.sampled_from(list(Channel)).map(str), "category": st.sampled_from(list(Category)).map(str),
     "enterprise": enterprises, "subject": plain, "content": plain},
    optional={"urgency": st.sampled_from(list(Urgency)).map(str), "received_at": recent, "draft": st.booleans(),
              "preset": st.sampled_from(["yicheng-2021", "fucheng-2024"])})
ORDER_KEYS = ("channel", "category", "enterprise", "subject", "content", "urgency", "received_at", "draft", "preset",
              "enterprise.name", "enterprise.credit_code", "enterprise.phone", "enterprise.contact_person", "version")
valid_commands = st.fixed_dictionaries({  # every field any command reads; each command takes its own
    "note": plain, "answer": plain, "lead_unit": st.sampled_from(["区住建局", "区交通运输局"]), "co_units": st.just([]),
    "reason": plain, "basis": plain, "approve": st.booleans(), "content": plain, "passed": st.booleans(),
    "rating": st.sampled_from(list(Rating)).map(str), "decision": st.sampled_from(["close", "redo"]),
    "explanation": plain, "into": st.integers(0, 3), "text": plain, "source": plain}, optional={
    "version": st.just("current"), "changes": st.fixed_dictionaries({}, optional={
        "subject": plain, "category": st.sampled_from(list(Category)).map(str), "received_at": recent,
        "enterprise": enterprises})})
COMMAND_KEYS = ("note", "answer", "lead_unit", "co_units", "kind", "amount", "reason", "basis", "approve", "content",
                "passed", "rating", "decision", "explanation", "into", "text", "source", "version", "changes",
                "changes.received_at", "changes.enterprise", "changes.subject")
actions = st.one_of(*[st.sampled_from(sorted(PERSON_COMMANDS))] * 9, nasty.map(lambda t: quote(t.encode("utf-8", "surrogatepass"), safe="")))
people = st.sampled_from(ROLES[1:])


def spoiled(valid: st.SearchStrategy[dict[str, Any]], keys: tuple[str, ...],
            text_keys: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """A valid body with up to three fields (dotted: nested) replaced by bad values or removed; one in
    ten has hostile characters in a field that is stored as text; now and then not an object at all."""
    def spoil(body: dict[str, Any], changes: list[tuple[str, Any]]) -> dict[str, Any]:
        body = json.loads(json.dumps(body))
        for key, value in changes:
            *parents, leaf = key.split(".")
            node = body
            for parent in parents:
                node = node.setdefault(parent, {}) if isinstance(node.get(parent, {}), dict) else {}
            if value is REMOVE:
                node.pop(leaf, None)
            else:
                node[leaf] = value
        return body
    change = st.tuples(st.sampled_from(keys), bad_values | st.just(REMOVE))
    hostile_text = st.tuples(st.sampled_from(text_keys), nasty)
    return st.one_of(*[st.builds(spoil, valid, st.lists(change, max_size=3))] * 8,
                     st.builds(spoil, valid, st.lists(hostile_text, min_size=1, max_size=1)), junk)


REMOVE = object()
new_orders = spoiled(valid_new_orders, ORDER_KEYS, ("subject", "content", "enterprise.name",
                                                    "enterprise.contact_person"))
command_bodies = spoiled(valid_commands, COMMAND_KEYS, ("note", "text", "content", "reason", "basis", "answer",
                                                        "explanation", "changes.subject"))


pytestmark = pytest.mark.asyncio(loop_scope="module")
stage = module_stage(pages=())


async def _counts(stage: Stage) -> tuple[int, int, int]:
    """Orders, order numbers taken, SMS queued."""
    async with stage.api.client.server.app[ORDERS].orders.engine.connect() as conn:
        taken = await conn.scalar(select(func.coalesce(func.sum(order_counters.c.last), 0)))
        made = await conn.scalar(select(func.count()).select_from(orders))
        queued = await conn.scalar(select(func.count()).select_from(sms_outbox))
    return int(made or 0), int(taken or 0), int(queued or 0)


def _encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=True).encode()  # lone surrogates travel as \ud800 escapes


def _resolve(stage: Stage, body: Any, pool: list[str], version: int) -> Any:
    """Real values where the strategy named them: a unit code, another order, the current version."""
    if not isinstance(body, dict):
        return body
    body = dict(body)
    if body.get("lead_unit") in stage.api.units:
        body["lead_unit"] = stage.api.units[body["lead_unit"]]
    if type(body.get("into")) is int and 0 <= body["into"] < len(pool):
        body["into"] = pool[body["into"]]
    if body.get("version") == "current":
        body["version"] = version
    return body


async def _post(stage: Stage, who: str, path: str, body: Any) -> tuple[int, Any]:
    resp = await stage.api.client.post(path, data=_encode(body), headers={
        **stage.api.auth(who), "Content-Type": "application/json"})
    raw = await resp.text()
    assert resp.status < 500, (path, who, body, resp.status, raw[:300])
    return resp.status, json.loads(raw)


@PROFILE
@given(who=people, body=new_orders)
async def test_generated_new_orders_are_taken_whole_or_not_at_all(stage: Stage, who: str, body: Any) -> None:
    before = await _counts(stage)
    status, data = await _post(stage, who, "/api/v1/orders", body)
    event(f"create {status} {data.get('error_id', '')}")  # --hypothesis-show-statistics shows the mix
    after = await _counts(stage)
    if status >= 400:
        assert after == before, (body, data)
        return
    assert status == 201 and after[0] == before[0] + 1 and after[1] == before[1] + 1
    stored = await stage.api.client.server.app[ORDERS].orders.get(data["number"])
    assert stored.version == data["version"] and replay(stored.history) == stored
    assert (stored.subject, stored.content, stored.status.value) == (data["subject"], data["content"], data["status"])
    assert datetime.fromisoformat(data["received_at"]).astimezone(UTC).year in range(2000, 2100)


ROLE_OF = {"agent": Role.AGENT, "zjj": Role.UNIT_HANDLER, "boss": Role.SUPERVISOR, "admin": Role.ADMIN}
POOL = (lambda api: create_order(api, draft=True), lambda api: create_order(api),
        lambda api: create_order(api, "区住建局"), lambda api: create_order(api, "区交通运输局"))


async def _pool(stage: Stage) -> list[str]:
    """One order in each early state; an order nobody can act on any more is replaced by a new one,
    so the examples keep moving orders along their lives."""
    numbers = stage.objects["pool"].split(",") if "pool" in stage.objects else [""] * len(POOL)
    repo = stage.api.client.server.app[ORDERS].orders
    for i, number in enumerate(numbers):
        status = (await repo.get(number)).status if number else None
        if status is None or not any(allowed_commands(status, role) for role in ROLE_OF.values()):
            numbers[i] = (await POOL[i](stage.api))["number"]
    stage.objects["pool"] = ",".join(numbers)
    return numbers


@PROFILE
@given(data=st.data())
async def test_generated_commands_change_an_order_whole_or_not_at_all(stage: Stage, data: st.DataObject) -> None:
    numbers = await _pool(stage)
    # The draws never depend on the server's state (Hypothesis replays them); the choice does.
    number, who = numbers[data.draw(st.integers(0, len(POOL) - 1))], data.draw(people)
    pick, any_action, raw = data.draw(st.integers(0, 99)), data.draw(actions), data.draw(command_bodies)
    repo = stage.api.client.server.app[ORDERS].orders
    old, before = await repo.get(number), await _counts(stage)
    allowed = allowed_commands(old.status, ROLE_OF[who])
    # Mostly a command the person may give now (so orders move on), sometimes any action at all.
    action = allowed[pick % len(allowed)] if allowed and pick % 5 else any_action
    body = _resolve(stage, raw, numbers, old.version)
    status, reply = await _post(stage, who, f"/api/v1/orders/{number}/{action}", body)
    event(f"{action if status < 300 else 'refused'} {status} {reply.get('error_id', '')}")
    new, after = await repo.get(number), await _counts(stage)
    assert after[:2] == before[:2]  # a command never creates an order or takes a number
    if status >= 400:
        assert (new.version, new.history) == (old.version, old.history), (action, body, reply)
        assert new == old and after == before
        return
    assert status == 200 and new.version > old.version and new.history[: old.version] == old.history
    assert replay(new.history) == new and reply["version"] == new.version and reply["status"] == new.status.value
