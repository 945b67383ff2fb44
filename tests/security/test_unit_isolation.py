"""Every role against every other unit's objects: a unit handler sees and touches only the orders of
its unit, through the API, the pages, the event stream and files; the other roles see them all.

Routes that take an order number are taken from the router, so one added later (an attachment,
revealing a phone number) is covered without touching this file.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import quote

import pytest

from callcenter.keys import ORDERS
from tests.security.hostile import Stage, create_order, module_stage
from tests.security.test_route_fuzz import BODY_METHODS, app_routes, fill

SECRET = {"subject": "交通局内部工单", "content": "只应由区交通运输局看到的细节。",
          "enterprise": {"name": "福城区保密运输有限公司", "phone": "13511112222"}}
pytestmark = pytest.mark.asyncio(loop_scope="module")
stage = module_stage(pages=("zjj", "jtj"))


def secret(tag: str) -> dict[str, Any]:
    """The other unit's order of one test (the tests share a stage)."""
    return {**SECRET, "subject": f"{SECRET['subject']}{tag}"}


def leaks(text: str) -> list[str]:
    return [s for s in (SECRET["subject"], SECRET["content"], SECRET["enterprise"]["name"], "13511112222",
                        "1351111") if s in text]


async def test_a_unit_handler_reaches_no_other_units_order_by_any_route(stage: Stage) -> None:
    theirs = await create_order(stage.api, "区交通运输局", **secret("甲"))  # jtj's; zjj must not reach it
    before = await stage.api.client.server.app[ORDERS].orders.get(theirs["number"])
    wrong = []
    for route in app_routes(stage.api.client.server.app):
        if "number" not in route.params:
            continue
        path = fill(stage, route, number=quote(theirs["number"]))
        body = f"_csrf={stage.csrf['zjj']}&content=x&reason=x&basis=x".encode() if route.page else b'{"content": "x"}'
        for action in ("accept", "reply", "return", "supplement") if "action" in route.params else ("",):
            target = path.replace("/accept", f"/{action}") if action else path
            reply = await stage.send("zjj", route.method, target,
                                     body=body if route.method in BODY_METHODS else None,
                                     content_type=("application/x-www-form-urlencoded" if route.page
                                                   else "application/json") if route.method in BODY_METHODS else None)
            if reply.status < 400 or leaks(reply.text):
                wrong.append(f"{route.method} {target}: {reply.status} {leaks(reply.text)}")
    assert not wrong, "\n".join(wrong)
    after = await stage.api.client.server.app[ORDERS].orders.get(theirs["number"])
    assert after == before  # nothing was done to it
    # The same routes work for the unit the order belongs to (the check above is not vacuous).
    assert (await stage.send("jtj", "GET", f"/api/v1/orders/{theirs['number']}")).status == 200
    assert (await stage.send("jtj", "GET", f"/orders/{theirs['number']}")).status == 200


async def test_lists_searches_and_filters_hide_other_units_orders(stage: Stage) -> None:
    subject = secret("乙")["subject"]
    theirs = await create_order(stage.api, "区交通运输局", **secret("乙"))
    jtj_code = stage.api.units["区交通运输局"]
    for path in ("/api/v1/orders", f"/api/v1/orders?unit={jtj_code}", f"/api/v1/orders?q={quote(subject)}",
                 f"/api/v1/orders?q={theirs['number']}", "/api/v1/orders?status=dispatched&limit=500",
                 f"/orders?q={quote(subject)}", "/orders?status=dispatched", "/unit", "/unit/rows"):
        reply = await stage.send("zjj", "GET", path)
        shown = reply.text.replace(subject, "")  # the search box shows what was searched for
        assert reply.status == 200 and not leaks(shown) and theirs["number"] not in reply.text, path
    status, mine = await stage.api.call("zjj", "GET", "/api/v1/orders")
    assert status == 200 and [o["number"] for o in mine["items"]] == [stage.objects["number"]]
    # Everyone else sees it: agents, supervisors, the admin, and the unit it was dispatched to.
    for who in ("agent", "boss", "admin", "jtj"):
        status, found = await stage.api.call(who, "GET", f"/api/v1/orders?q={quote(subject)}")
        assert status == 200 and [o["number"] for o in found["items"]] == [theirs["number"]], who
    # What a unit handler never has: calls, faxes, SMS, reports, the knowledge base, other people.
    for path in ("/api/v1/calls", "/api/v1/faxes", f"/api/v1/faxes/{stage.objects['fax_id']}",
                 f"/api/v1/calls/{stage.objects['linkedid']}", "/api/v1/sms/inbound", "/api/v1/sms/outbox",
                 "/api/v1/reports", "/api/v1/kb", "/api/v1/live", "/supervisor", "/agent", "/reports",
                 "/knowledge", "/admin/users"):
        assert (await stage.send("zjj", "GET", path)).status == 403, path


async def test_the_event_stream_tells_a_unit_handler_only_of_its_units_orders(stage: Stage) -> None:
    theirs = await create_order(stage.api, "区交通运输局", **secret("丙"))
    mine = stage.objects["number"]
    url = stage.base + "/events"
    async with stage.http.get(url, headers={"Cookie": stage.cookies["zjj"]}) as stream:
        assert stream.status == 200
        await stage.api.act("agent", theirs["number"], "supplement", {"text": "补充：交通局的事", "source": "phone"})
        await stage.api.act("agent", mine, "supplement", {"text": "补充：住建局的事", "source": "phone"})
        seen = ""
        while mine not in seen:  # the second change arrives after the first: the first was filtered out
            seen += (await asyncio.wait_for(stream.content.readline(), 10)).decode()
    events = [json.loads(m) for m in re.findall(r"^data: (.*)$", seen, re.M)]
    assert [e["number"] for e in events if e.get("kind") == "order"] == [mine]
    assert theirs["number"] not in seen and not leaks(seen)
