"""City-platform transfers in the pure domain: the city's number and deadline, and 退回市级平台."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.domain_helpers import AGENT, SUPERVISOR, at, handler, new_order, policy
from worksheet import commands as c
from worksheet.codec import order_from_dict, order_to_dict
from worksheet.deadlines import deadlines, expected_answer
from worksheet.errors import InvalidTransition, NotPermitted, ValidationError
from worksheet.evolve import replay
from worksheet.intake import NewOrder
from worksheet.lifecycle import create_order, handle
from worksheet.model import OPEN_STATUSES, Category, Channel, CityTransfer, Enterprise, Status, WorkOrder
from worksheet.transitions import TRANSITIONS, actions_for, allowed_commands

POL = policy()
MON = at("2026-11-23T09:00:00")  # a Monday
CITY_DUE = at("2026-11-25T18:00:00")  # sooner than Yicheng's 7 working days


def city_order(due=CITY_DUE, number: str = "SZ-20261123-000123") -> WorkOrder:  # type: ignore[no-untyped-def]
    spec = NewOrder(channel=Channel.CITY_PLATFORM, category=Category.HELP,
                    enterprise=Enterprise("涪城区华翔物流有限公司", None, "王经理", "13800138000"),
                    subject="道路施工影响货物运输", content="华翔路施工，货物无法运出。",
                    received_at=MON - timedelta(hours=2), city=CityTransfer(number, due))
    order, _ = create_order(spec, "20261123-0001", AGENT, MON, POL)
    return order


def test_a_transfer_is_registered_with_the_citys_number_time_and_deadline() -> None:
    o = city_order()
    assert o.status == Status.REGISTERED and o.channel == Channel.CITY_PLATFORM
    assert o.city == CityTransfer("SZ-20261123-000123", CITY_DUE) and o.received_at == MON - timedelta(hours=2)
    # Before dispatch the promised answer is the city's deadline, not the preset's 7 working days.
    assert expected_answer(o, POL, MON).due == CITY_DUE
    assert order_from_dict(order_to_dict(o), o.history) == o and replay(o.history) == o


def test_the_citys_deadline_wins_over_the_preset_at_dispatch_and_cannot_be_extended_here() -> None:
    o, _ = handle(c.Dispatch(actor=AGENT, lead_unit="zjj"), city_order(), MON, POL)
    assert deadlines(o, POL)["handling"].due == CITY_DUE
    assert deadlines(new_order_dispatched(), POL)["handling"].due == at("2026-12-02T23:59:59")  # the preset's
    o, _ = handle(c.Accept(actor=handler()), o, MON, POL)
    with pytest.raises(InvalidTransition, match="city platform"):
        handle(c.RequestExtension(actor=handler(), reason="需协调"), o, MON, POL)
    assert replay(o.history) == o and order_from_dict(order_to_dict(o), o.history) == o


def new_order_dispatched() -> WorkOrder:
    o, _ = handle(c.Dispatch(actor=AGENT, lead_unit="zjj"), new_order(MON, POL), MON, POL)
    return o


def test_without_a_city_deadline_the_preset_applies() -> None:
    o, _ = handle(c.Dispatch(actor=AGENT, lead_unit="zjj"), city_order(due=None), MON, POL)
    assert deadlines(o, POL)["handling"].due == at("2026-12-02T23:59:59")


def test_return_to_city_from_registered_with_a_reason_ends_the_order() -> None:
    o, events = handle(c.ReturnToCity(actor=AGENT, reason="事发地在高新区，不属本区管辖"), city_order(), MON, POL)
    assert o.status == Status.RETURNED_TO_CITY and o.status not in OPEN_STATUSES and o.clocks == ()
    assert events[0].data["reason"] == "事发地在高新区，不属本区管辖"
    assert events[0].data["city_number"] == "SZ-20261123-000123" and events[0].actor == AGENT.id
    assert replay(o.history) == o
    assert actions_for(o, AGENT.role) == []  # nothing more to do with it


def test_return_to_city_after_a_unit_returned_it() -> None:
    o = city_order()
    o, _ = handle(c.Dispatch(actor=AGENT, lead_unit="zjj"), o, MON, POL)
    o, _ = handle(c.Return(actor=handler(), reason="不属本区", basis="属地管理"), o, MON + timedelta(hours=1), POL)
    o, _ = handle(c.ReturnToCity(actor=SUPERVISOR, reason="属地在外区"), o, MON + timedelta(hours=2), POL)
    assert o.status == Status.RETURNED_TO_CITY


def test_return_to_city_needs_a_reason_the_right_state_a_platform_role_and_a_city_order() -> None:
    with pytest.raises(ValidationError, match="reason"):
        handle(c.ReturnToCity(actor=AGENT, reason="  "), city_order(), MON, POL)
    with pytest.raises(NotPermitted):
        handle(c.ReturnToCity(actor=handler(), reason="不属本区"), city_order(), MON, POL)
    dispatched, _ = handle(c.Dispatch(actor=AGENT, lead_unit="zjj"), city_order(), MON, POL)
    with pytest.raises(InvalidTransition):
        handle(c.ReturnToCity(actor=AGENT, reason="不属本区"), dispatched, MON, POL)
    with pytest.raises(InvalidTransition, match="city platform"):
        handle(c.ReturnToCity(actor=AGENT, reason="不属本区"), new_order(MON, POL), MON, POL)


def test_the_table_and_the_per_order_actions() -> None:
    assert set(TRANSITIONS["return-to-city"]) == {Status.REGISTERED, Status.RETURNED}
    assert "return-to-city" in allowed_commands(Status.REGISTERED, AGENT.role)
    assert "return-to-city" in actions_for(city_order(), AGENT.role)
    assert "return-to-city" not in actions_for(new_order(MON, POL), AGENT.role)  # a phone order has no city


def test_a_city_transfer_is_only_for_the_city_channel_and_its_deadline_follows_the_receipt() -> None:
    base = dict(category=Category.HELP, enterprise=Enterprise("某公司"), subject="s", content="c",
                received_at=MON)
    with pytest.raises(ValidationError, match="city_platform"):
        create_order(NewOrder(channel=Channel.PHONE, city=CityTransfer("X1"), **base), "n", AGENT, MON, POL)
    with pytest.raises(ValidationError, match="city.due"):
        create_order(NewOrder(channel=Channel.CITY_PLATFORM, city=CityTransfer("X1", MON - timedelta(days=1)), **base),
                     "n", AGENT, MON, POL)
    with pytest.raises(ValidationError, match="city.number"):
        create_order(NewOrder(channel=Channel.CITY_PLATFORM, city=CityTransfer(" "), **base), "n", AGENT, MON, POL)
