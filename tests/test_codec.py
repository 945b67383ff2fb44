"""worksheet.codec: WorkOrder/Event ↔ JSON-shaped dicts are exact inverses."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from worksheet.codec import event_from_dict, event_to_dict, order_from_dict, order_to_dict
from worksheet.model import (
    CallbackResult,
    Card,
    CardColor,
    Category,
    Channel,
    Clock,
    Closure,
    ClosureReason,
    Enterprise,
    Event,
    Rating,
    Role,
    Status,
    Urgency,
    WorkOrder,
)

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 30, 15, 123456, tzinfo=SH)


def minimal() -> WorkOrder:
    return WorkOrder(
        number="20261123-0007", channel=Channel.PHONE, category=Category.HELP, urgency=Urgency.NORMAL,
        enterprise=Enterprise("涪城区华翔物流有限公司"), subject="道路施工", content="货物无法运出",
        received_at=T0, preset="yicheng-2021", status=Status.REGISTERED,
    )


def full() -> WorkOrder:
    return replace(
        minimal(),
        channel=Channel.CITY_PLATFORM, category=Category.COMPLAINT, urgency=Urgency.URGENT,
        enterprise=Enterprise("华翔物流", "91350100M000100Y43", "王经理", "13800138000"),
        status=Status.CLOSED, attachments=("a.pdf", "录音.wav"), lead_unit="zjj", co_units=("jtj", "sjj"),
        dispatched_at=T0 + timedelta(minutes=5),
        clocks=(
            Clock("handling", "general", T0 + timedelta(minutes=5), None, 1),
            Clock("answer", "ranged", datetime(2026, 11, 24, 1, 0, tzinfo=UTC), 7, 2),
        ),
        cards=(
            Card(CardColor.YELLOW, "zjj", T0 + timedelta(days=3), 1, "handling"),
            Card(CardColor.RED, "zjj", datetime(2026, 11, 30, 8, 0, tzinfo=timezone(timedelta(hours=-5))), 1, "handling"),
        ),
        callbacks=(
            CallbackResult(Rating.UNSATISFIED, T0 + timedelta(days=5), "还是没修好"),
            CallbackResult(Rating.BASICALLY_SATISFIED, T0 + timedelta(days=9)),
        ),
        unsatisfied_count=1, cycle=2, extension="approved", reply="已协调施工方", direct_answer=None,
        return_reason="不属于本单位职责", review_decision="redo",
        closure=Closure(ClosureReason.SATISFIED, T0 + timedelta(days=9), "回访基本满意"),
        merged_into=None, possible_duplicates=("20261120-0003", "20261121-0011"),
    )


@pytest.mark.parametrize("order", [minimal(), full(), replace(full(), merged_into="20261123-0001",
                                                                  direct_answer="已答复", closure=None)])
def test_order_round_trip_is_exact(order: WorkOrder) -> None:
    d = order_to_dict(order)
    assert order_from_dict(d) == order
    # ...also through real JSON text, as stored in the snapshot column.
    assert order_from_dict(json.loads(json.dumps(d, ensure_ascii=False))) == order


def test_dict_has_every_field_but_history_and_is_json_shaped() -> None:
    d = order_to_dict(full())
    # linked_duplicates are read with the order from its later orders' links, never stored in it.
    assert set(d) == {f.name for f in fields(WorkOrder)} - {"history", "linked_duplicates"}
    assert d["received_at"] == "2026-11-23T09:30:15.123456+08:00"
    assert d["channel"] == "city_platform" and d["status"] == "closed"
    assert d["enterprise"] == {"name": "华翔物流", "credit_code": "91350100M000100Y43",
                               "contact_person": "王经理", "phone": "13800138000"}
    assert d["cards"][1] == {"color": "red", "unit": "zjj", "issued_at": "2026-11-30T08:00:00-05:00",
                             "cycle": 1, "clock": "handling"}
    assert d["closure"]["reason"] == "satisfied"
    assert d["co_units"] == ["jtj", "sjj"]
    assert json.loads(json.dumps(d)) == d  # only JSON types inside


def test_history_is_passed_separately() -> None:
    events = (Event(1, "create", T0, "agent1", Role.AGENT, None, Status.REGISTERED),)
    order = replace(minimal(), history=events)
    back = order_from_dict(order_to_dict(order), history=list(events))
    assert back == order and back.version == 1
    assert order_from_dict(order_to_dict(order)).history == ()


@pytest.mark.parametrize("event", [
    Event(1, "create", T0, "agent1", Role.AGENT, None, Status.REGISTERED, "",
          {"number": "20261123-0007", "enterprise": {"name": "x"}, "attachments": []}),
    Event(7, "issue-card", datetime(2026, 11, 26, 1, 0, tzinfo=UTC), "sweeper", Role.SYSTEM, Status.HANDLING,
          Status.HANDLING, "黄牌", {"color": "yellow", "unit": "zjj", "cycle": 1, "clock": "handling"}),
])
def test_event_round_trip_is_exact(event: Event) -> None:
    d = event_to_dict(event)
    assert event_from_dict(d) == event
    assert event_from_dict(json.loads(json.dumps(d))) == event
    assert d["role"] == event.role.value and isinstance(d["at"], str)
