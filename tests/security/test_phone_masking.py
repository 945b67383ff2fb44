"""Full phone numbers are masked by default in the API (orders, history, calls), in the texts the
service writes and in its logs; revealing one is an explicit, audited request (issue 11, finding 5).
On 35eeeea the API returned them whole to every role, unit handlers included, and a voice message's
history read `来电 13800138000 的语音留言，录音：/abs/server/path/msg-….wav` to everyone."""

from __future__ import annotations

import io
import logging
from typing import Any

import pytest

from callcenter.blobs.keys import BLOBS
from callcenter.hotline.desk import OrderDesk
from callcenter.keys import AUDIT, CALLS, ORDERS
from callcenter.log_privacy import install
from tests.api_helpers import ORDER, Api, start_api

PHONE = "13800138000"


@pytest.fixture
async def api(db_url: str):  # type: ignore[no-untyped-def]
    async for value in start_api(db_url):
        yield value


async def raw(api: Api, who: str, method: str, path: str, body: Any = None) -> tuple[int, str]:
    resp = await api.client.request(method, path, json=body, headers=api.auth(who))
    return resp.status, await resp.text()


async def test_orders_show_masked_numbers_to_every_role(api: Api) -> None:
    status, order = await api.call("agent", "POST", "/api/v1/orders", ORDER)
    assert status == 201 and order["enterprise"]["phone"] == "138****8000"
    number = order["number"]
    await api.act("agent", number, "dispatch", {"lead_unit": api.units["区住建局"]})
    for who, path in (("agent", f"/api/v1/orders/{number}"), ("zjj", f"/api/v1/orders/{number}"),
                      ("boss", "/api/v1/orders"), ("zjj", "/api/v1/orders"), ("admin", f"/api/v1/orders?q={number}")):
        status, text = await raw(api, who, "GET", path)
        assert status == 200 and PHONE not in text and "138****8000" in text, (who, path)
    # A draft's suggestion (what the extractor heard) is masked too.
    status, draft = await api.call("agent", "POST", "/api/v1/orders", {**ORDER, "draft": True})
    status, text = await raw(api, "agent", "POST", f"/api/v1/orders/{draft['number']}/amend-draft",
                             {"changes": {"enterprise": {**ORDER["enterprise"], "phone": "13900139000"}}})
    assert status == 200 and "13900139000" not in text and "139****9000" in text


async def test_revealing_a_number_is_audited_and_follows_visibility(api: Api) -> None:
    _, order = await api.call("agent", "POST", "/api/v1/orders", ORDER)
    number = order["number"]
    status, body = await api.call("agent", "POST", f"/api/v1/orders/{number}/reveal-phone")
    assert status == 200 and body == {"number": number, "phone": PHONE}
    status, _ = await api.call("zjj", "POST", f"/api/v1/orders/{number}/reveal-phone")  # not its order
    assert status == 404
    await api.act("agent", number, "dispatch", {"lead_unit": api.units["区住建局"]})
    status, body = await api.call("zjj", "POST", f"/api/v1/orders/{number}/reveal-phone")
    assert status == 200 and body["phone"] == PHONE  # the unit calls the enterprise back
    audit = await api.client.server.app[AUDIT].list(subject=number)
    assert [(a["actor"], a["action"]) for a in audit] == [("zjj", "reveal-phone"), ("agent", "reveal-phone")]


async def test_a_voice_message_draft_names_neither_the_number_nor_a_server_path(api: Api) -> None:
    app = api.client.server.app
    desk = OrderDesk(app[ORDERS], app[CALLS], api.clock, blobs=app[BLOBS])
    number = await desk.leave_message(caller=PHONE, caller_name=PHONE, uniqueid="1.1", linkedid="1.1",
                                      recording="/var/spool/asterisk/zhitong/recordings/msg-1.1.wav",
                                      menu_choice="report")
    status, text = await raw(api, "agent", "GET", f"/api/v1/orders/{number}")
    assert status == 200 and PHONE not in text and "/var/spool" not in text and "recordings/" not in text
    status, order = await api.call("agent", "GET", f"/api/v1/orders/{number}")
    assert order["content"] == "来电 138****8000 的语音留言（录音见附件）。请收听录音后补全诉求内容。"
    assert order["enterprise"]["name"] == "来电 138****8000"  # a caller name that is only the number is no name
    assert len(order["attachments"]) == 1


async def test_calls_show_masked_callers_and_no_server_paths(api: Api) -> None:
    app = api.client.server.app
    linkedid = "1795435368.0"
    await app[CALLS].repo.upsert([{
        "linkedid": linkedid, "caller": PHONE, "caller_name": PHONE, "called": "12345",
        "channels": [f"Local/{PHONE}@outbound-00000001;1"], "started_at": "2026-11-23T01:00:00+00:00",
        "ended_at": "2026-11-23T01:01:00+00:00", "disposition": "ANSWERED", "order_number": None,
        "recordings": ["/srv/hotline1/recordings/call-1795435368.0.wav"],
        "fax": {"direction": "receive", "file": "/srv/hotline1/fax/rx-1.tif", "pages": 1, "status": "SUCCESS"}}],
        api.clock())
    for path in ("/api/v1/calls", f"/api/v1/calls/{linkedid}"):
        status, text = await raw(api, "agent", "GET", path)
        assert status == 200 and PHONE not in text and "/srv/" not in text and "138****8000" in text, path
    status, body = await api.call("agent", "POST", f"/api/v1/calls/{linkedid}/reveal-caller")
    assert status == 200 and body["caller"] == PHONE
    assert [a["action"] for a in await app[AUDIT].list(subject=linkedid)] == ["reveal-caller"]
    status, _ = await api.call("zjj", "POST", f"/api/v1/calls/{linkedid}/reveal-caller")
    assert status == 403


def test_log_lines_never_carry_a_whole_number() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("zhitong.test.masking")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    install(logger)
    try:
        logger.warning("dial %s failed", f"Local/{PHONE}@outbound")
        try:
            raise RuntimeError(f"Originate refused for +86{PHONE}")
        except RuntimeError:
            logger.exception("callback for 20261123-0001 (linkedid 1795435368.0) failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert PHONE not in out and out.count("138****8000") == 2
    assert "20261123-0001" in out and "1795435368.0" in out  # order numbers and call ids stay readable


async def test_a_database_error_does_not_carry_the_values_it_was_given(engine: Any) -> None:
    from sqlalchemy import insert
    from sqlalchemy.exc import DBAPIError

    from callcenter.db.tables import users

    with pytest.raises(DBAPIError) as caught:  # no such unit: the foreign key refuses the row
        async with engine.begin() as conn:
            await conn.execute(insert(users).values(id=1, username=PHONE, password_hash="x", role="agent",
                                                    unit_code="no-such-unit", active=True, created_at=None))
    assert PHONE not in str(caught.value)
