"""Which order events become status updates for the city, and what they say (pure)."""

from __future__ import annotations

from datetime import timedelta

from callcenter.city.updates import updates_for_event
from tests.domain_helpers import AGENT, SUPERVISOR, SYSTEM, handler, new_order, policy
from tests.test_city_domain import CITY_DUE, MON, city_order
from worksheet import commands as c
from worksheet.lifecycle import handle
from worksheet.model import Rating, WorkOrder

POL = policy()


def run(order: WorkOrder, *commands: c.Command) -> WorkOrder:
    for i, cmd in enumerate(commands):
        order, _ = handle(cmd, order, MON + timedelta(minutes=i + 1), POL)
    return order


def planned(order: WorkOrder) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    return [(u.kind, u.payload) for e in order.history for u in updates_for_event(order, e)]


def test_a_city_order_tells_the_city_accepted_replied_and_closed_with_unique_event_ids() -> None:
    unit = handler()
    o = run(city_order(), c.Dispatch(actor=AGENT, lead_unit="zjj"), c.Accept(actor=unit),
            c.Reply(actor=unit, content="初次答复"), c.Check(actor=SUPERVISOR, passed=False, note="不完整"),
            c.Reply(actor=unit, content="补充后的答复"), c.Check(actor=SUPERVISOR, passed=True),
            c.RecordCallback(actor=SYSTEM, rating=Rating.SATISFIED))
    updates = [u for e in o.history for u in updates_for_event(o, e)]
    assert [u.kind for u in updates] == ["accepted", "replied", "closed"]
    accepted, replied, closed = (u.payload for u in updates)
    assert accepted["deadline"] == CITY_DUE.isoformat() and accepted["city_order_id"] == "SZ-20261123-000123"
    assert replied["reply"] == "补充后的答复"  # the reply the check passed, not the failed one
    assert closed["closure_reason"] == "satisfied" and closed["status"] == "closed"
    assert len({u.event_id for u in updates}) == 3 and all(u.event_id.startswith(o.number) for u in updates)
    assert [p["sequence"] for p in (accepted, replied, closed)] == sorted(p["sequence"] for p in (accepted, replied,
                                                                                                closed))


def test_a_return_to_the_city_and_a_merge_into_another_order() -> None:
    returned = run(city_order(), c.ReturnToCity(actor=AGENT, reason="属外区"))
    assert [(k, p.get("reason")) for k, p in planned(returned)] == [("accepted", None), ("returned", "属外区")]
    merged = run(city_order(), c.Merge(actor=AGENT, into="20261120-0003"))
    assert planned(merged)[-1][1]["closure_reason"] == "merged"
    assert planned(merged)[-1][1]["merged_into"] == "20261120-0003"


def test_orders_that_did_not_come_from_the_city_tell_it_nothing() -> None:
    o = run(new_order(MON, POL), c.ClosePolicyLimited(actor=SUPERVISOR, explanation="政策限制"))
    assert o.status.value == "closed" and planned(o) == []
