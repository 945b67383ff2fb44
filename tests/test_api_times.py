"""One time convention for the API: ISO 8601 with the hotline's offset (+08:00) in every answer."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from api_helpers import ORDER, Api, start_api

from callcenter.ami.codec import AmiDecoder
from callcenter.http.local_time import local_times
from callcenter.http.masking import masked, masked_local
from callcenter.keys import CALLS

ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[Api]:
    async for a in start_api(db_url):
        yield a


def times(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from times(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from times(v, f"{where}[{i}]")
    elif isinstance(value, str) and ISO.fullmatch(value):
        yield where, value


def test_times_are_moved_to_the_hotline_zone_and_text_is_left_as_typed() -> None:
    out = local_times({"started_at": "2026-11-23T02:05:00Z", "ended_at": "2026-11-23T02:06:30.250000+00:00",
                       "subject": "2026-11-23T02:05:00Z", "when": datetime(2026, 11, 23, 2, 5, tzinfo=UTC),
                       "bad": "2026-13-45T99:00:00Z", "day": "2026-11-23", "n": 3, "none": None,
                       "items": [{"at": "2026-11-22T16:00:00Z"}]})
    assert out == {"started_at": "2026-11-23T10:05:00+08:00", "ended_at": "2026-11-23T10:06:30.250000+08:00",
                   "subject": "2026-11-23T02:05:00Z", "when": "2026-11-23T10:05:00+08:00",
                   "bad": "2026-13-45T99:00:00Z", "day": "2026-11-23", "n": 3, "none": None,
                   "items": [{"at": "2026-11-23T00:00:00+08:00"}]}


MIXED = {
    "number": "20261123-0001", "received_at": datetime(2026, 11, 23, 2, 5, tzinfo=UTC),
    "enterprise": {"name": "绵阳华翔物流有限公司", "phone": "13800138000", "at": "2026-11-23T02:05:00Z"},
    "subject": "2026-11-23T02:05:00Z", "recordings": ["/rec/call-1764-0001.wav", 3], "path": "/var/x/y.pdf",
    "caller_name": "王经理 13800138000", "channels": ["Local/13800138000@outbound", None],
    "extracted": {"contact_phone": {"value": "13912345678", "confidence": 0.9}, "phone": ["13800138000"]},
    "history": [{"at": "2026-11-22T16:00:00Z", "data": {"caller": "+8613800138000", "note": "2026-11-22T16:00:00Z"}},
                ("2026-11-22T16:00:00+00:00", {"mobile": ""})],
    "n": 3, "none": None, "flag": True,
}


def test_masking_and_local_times_in_one_walk_equal_the_two_walks() -> None:
    """The order views are answered with masked_local (one walk): it must be exactly masked() then
    local_times(), phones under every known key masked and times moved, on every shape."""
    one, two = masked_local(MIXED), local_times(masked(MIXED))
    assert one == two
    assert one["enterprise"]["phone"] != "13800138000" and "13800138000" not in str(one)
    assert one["received_at"] == "2026-11-23T10:05:00+08:00" and one["subject"] == "2026-11-23T02:05:00Z"
    assert one["history"][0]["at"] == "2026-11-23T00:00:00+08:00"


async def test_every_time_in_the_api_carries_the_hotline_offset(api: Api, shared_dir: Path) -> None:
    app = api.client.server.app
    data = (shared_dir / "fixtures" / "asterisk" / "ami" / "inbound-ivr-call.rx.bin").read_bytes()
    for msg in AmiDecoder().feed(data):
        await app[CALLS].on_event(msg)
    await app[CALLS].close()
    status, order = await api.call("agent", "POST", "/api/v1/orders", ORDER)
    assert status == 201
    await api.act("agent", order["number"], "dispatch", {"lead_unit": api.units["区住建局"]})
    seen: list[tuple[str, str]] = []
    for who, path in (("agent", "/api/v1/calls"), ("agent", "/api/v1/calls/1795435368.0"),
                      ("agent", f"/api/v1/orders/{order['number']}"), ("agent", "/api/v1/orders"),
                      ("boss", "/api/v1/reports?period=month&date=2026-11"), ("boss", "/api/v1/sms/outbox"),
                      ("boss", "/api/v1/supervision?month=2026-11")):
        status, body = await api.call(who, "GET", path)
        assert status == 200, (path, body)
        seen += [(f"{path}{where}", value) for where, value in times(body)]
    call = (await api.call("agent", "GET", "/api/v1/calls"))[1]["items"][0]
    assert call["started_at"].endswith("+08:00")  # stored in UTC, answered in the hotline's zone
    assert {w.split(".")[-1] for w, _ in seen} >= {"started_at", "received_at", "due", "generated_at"}
    assert [(w, v) for w, v in seen if not v.endswith("+08:00")] == []


async def test_a_replied_order_shows_the_deadline_it_answered_to(api: Api) -> None:
    status, order = await api.call("agent", "POST", "/api/v1/orders", ORDER)
    number = order["number"]
    handling = (await api.act("agent", number, "dispatch", {"lead_unit": api.units["区住建局"]}))["deadlines"]["handling"]
    await api.act("zjj", number, "accept")
    replied = await api.act("zjj", number, "reply", {"content": "已协调施工方开放临时通道。"})
    assert replied["status"] == "replied" and replied["deadlines"] == {}  # the reply stopped the clocks
    assert replied["answered"] == {"at": replied["history"][-1]["at"], "due": handling["due"], "late": False}
    status, listed = await api.call("boss", "GET", "/api/v1/orders?status=replied")
    assert listed["items"][0]["answered"]["due"] == handling["due"]
