"""Inbound SMS over the signed Twilio webhook: drafts, supplements, survey replies, duplicates, 403s."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from callcenter.keys import SMS, SMS_INBOUND
from callcenter.sms.http import INBOUND_PATH, STATUS_PATH
from tests.api_helpers import ORDER, Api, start_api
from tests.fake_twilio import FakeTwilio

SENDER = "+8613900139000"
TWILIO = FakeTwilio()  # not started: it only signs and posts, like Twilio calling us
TOKEN = TWILIO.auth_token


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[Api]:
    async for api in start_api(db_url, twilio_auth_token=TOKEN):
        yield api


def url(api: Api, path: str) -> str:
    return str(api.client.make_url(path))


async def inbound(api: Api, body: str, *, sender: str = SENDER, sid: str | None = None) -> int:
    return await TWILIO.send_inbound(url(api, INBOUND_PATH), sender, body, sid=sid)


async def inbox(api: Api) -> list[dict[str, Any]]:
    status, data = await api.call("agent", "GET", "/api/v1/sms/inbound")
    assert status == 200
    return list(data["items"])


async def test_a_new_sender_gets_a_draft_filled_from_the_text(api: Api) -> None:
    text = "我是绵阳华翔物流有限公司，华翔路道路施工，货物运不出去，请尽快协调。联系电话13900139000"
    assert await inbound(api, text) == 200
    [row] = await inbox(api)
    assert row["outcome"] == "draft" and row["sender"] == "+86139****9000"
    status, order = await api.call("agent", "GET", f"/api/v1/orders/{row['order_number']}")
    assert status == 200 and order["status"] == "draft" and order["channel"] == "sms"
    assert order["content"] == text  # once: the text is its own summary
    assert order["enterprise"]["phone"] == "139****9000"
    assert order["history"][0]["data"]["enterprise"]["name"] == "短信 139****9000"
    _, revealed = await api.call("agent", "POST", f"/api/v1/orders/{row['order_number']}/reveal-phone")
    assert revealed["phone"] == "13900139000"  # stored whole, shown masked
    assert order["suggestion"]["source"].startswith("sms:SM")


async def test_a_sender_name_instead_of_a_number_still_gets_a_draft(api: Api) -> None:
    """Gateways pass alphanumeric sender ids; before, the draft's phone validation refused "CMBCHINA"
    on every retry and the message ended as a dead letter."""
    assert await inbound(api, "园区路灯不亮，请尽快维修。", sender="CMBCHINA") == 200
    [row] = await inbox(api)
    assert row["outcome"] == "draft", row
    status, order = await api.call("agent", "GET", f"/api/v1/orders/{row['order_number']}")
    assert status == 200 and order["status"] == "draft" and order["enterprise"]["phone"] is None
    assert order["history"][0]["data"]["enterprise"]["name"] == "短信 未知号码"


async def test_more_text_from_the_same_sender_is_appended_and_a_redelivery_changes_nothing(api: Api) -> None:
    assert await inbound(api, "华翔路施工，货物运不出去", sid="SM" + "a" * 32) == 200
    [first] = await inbox(api)
    assert await inbound(api, "补充：施工从上周一开始", sid="SM" + "b" * 32) == 200
    assert await inbound(api, "补充：施工从上周一开始", sid="SM" + "b" * 32) == 200  # Twilio retried
    rows = await inbox(api)
    assert [r["outcome"] for r in rows] == ["supplement", "draft"]
    assert rows[0]["order_number"] == first["order_number"]
    _, order = await api.call("agent", "GET", f"/api/v1/orders/{first['order_number']}")
    supplements = [e for e in order["history"] if e["type"] == "supplement"]
    assert [e["data"]["text"] for e in supplements] == ["补充：施工从上周一开始"]
    assert supplements[0]["data"]["source"] == "sms:SM" + "b" * 32


async def test_an_open_order_outside_the_window_is_not_appended_to(api: Api) -> None:
    assert await inbound(api, "第一次反映：路灯不亮") == 200
    api.clock.now += timedelta(days=4)  # the default window is 72 hours
    assert await inbound(api, "第二件事：园区积水") == 200
    assert [r["outcome"] for r in await inbox(api)] == ["draft", "draft"]


async def test_a_registered_order_typed_with_a_national_number_matches_the_e164_sender(api: Api) -> None:
    _, created = await api.call("agent", "POST", "/api/v1/orders", {**ORDER, "enterprise": {
        **ORDER["enterprise"], "phone": "139-0013-9000"}})
    assert await inbound(api, "请问办理进度如何？") == 200
    [row] = await inbox(api)
    # Typed "139-0013-9000", stored 13900139000: the sender "+8613900139000" finds it.
    _, revealed = await api.call("agent", "POST", f"/api/v1/orders/{created['number']}/reveal-phone")
    assert revealed["phone"] == "13900139000"
    assert row["outcome"] == "supplement" and row["order_number"] == created["number"]


async def test_a_bare_rating_with_no_survey_out_is_kept_for_an_agent_not_drafted(api: Api) -> None:
    assert await inbound(api, "１") == 200
    [row] = await inbox(api)
    assert row["outcome"] == "stray_rating" and row["order_number"] is None
    status, data = await api.call("agent", "GET", "/api/v1/orders?status=draft")
    assert status == 200 and data["total"] == 0


@pytest.mark.parametrize("signature", ["", "bad-signature"])
async def test_a_bad_or_missing_signature_is_403_and_nothing_is_stored(api: Api, signature: str) -> None:
    form = {"MessageSid": "SM" + "c" * 32, "From": SENDER, "To": "+8610012345", "Body": "伪造的短信"}
    status = await TWILIO.post_signed(url(api, INBOUND_PATH), form, signature=signature)
    assert status == 403
    assert await inbox(api) == []


async def test_a_signature_over_another_url_is_refused(api: Api) -> None:
    form = {"MessageSid": "SM" + "d" * 32, "From": SENDER, "To": "+8610012345", "Body": "重放"}
    fake = TWILIO
    signature = fake.sign("https://evil.example/webhooks/twilio/sms", form)
    assert await fake.post_signed(url(api, INBOUND_PATH), form, signature=signature) == 403


async def test_a_signed_form_without_a_message_id_is_400(api: Api) -> None:
    assert await TWILIO.post_signed(url(api, INBOUND_PATH), {"From": SENDER, "Body": "x"}) == 400
    assert await inbox(api) == []


async def test_an_empty_message_is_recorded_and_ignored(api: Api) -> None:
    assert await inbound(api, "   ") == 200
    assert [r["outcome"] for r in await inbox(api)] == ["ignored"]


async def test_status_callbacks_are_recorded_and_unknown_ids_do_no_harm(api: Api) -> None:
    fake = TWILIO
    outbox = api.client.server.app[SMS].outbox
    form = {"MessageSid": "SMnot-ours", "MessageStatus": "delivered"}
    assert await fake.post_signed(url(api, STATUS_PATH), form) == 204
    assert await fake.post_signed(url(api, STATUS_PATH), {"MessageSid": "SMx"}) == 400  # no status
    assert await fake.post_signed(url(api, STATUS_PATH), form, signature="forged") == 403
    assert await outbox.list() == []


async def test_the_outbox_lists_masked_numbers_without_bodies(api: Api) -> None:
    status, _ = await api.call("agent", "POST", "/api/v1/orders", ORDER)
    assert status == 201
    status, data = await api.call("boss", "GET", "/api/v1/sms/outbox")
    assert status == 200
    [item] = data["items"]
    assert item["template"] == "order_accepted" and item["to_phone"] == "+86138****8000"
    assert "body" not in item and "params" not in item
    status, _ = await api.call("zjj", "GET", "/api/v1/sms/outbox")
    assert status == 403
    assert api.client.server.app[SMS_INBOUND] is not None


async def test_aliyun_delivery_reports_need_the_secret_path_token(db_url: str) -> None:
    async for api in start_api(db_url, aliyun_report_token="s3cret-token"):
        outbox = api.client.server.app[SMS].outbox
        await api.call("agent", "POST", "/api/v1/orders", ORDER)  # queues order_accepted
        [queued] = await outbox.claim_due(api.clock.now, 10)
        await outbox.mark_sent(queued, "aliyun", "900619746936498440^0", api.clock.now)
        report = [{"phone_number": "13800138000", "send_time": "2026-11-23 09:00:01", "report_time":
                   "2026-11-23 09:00:05", "success": True, "err_code": "DELIVERED", "err_msg": "用户接收成功",
                   "sms_size": "1", "biz_id": "900619746936498440^0", "out_id": queued.idempotency_key}]
        wrong = await api.client.post("/webhooks/aliyun/sms-report/guess", json=report)
        assert wrong.status == 404
        bad = await api.client.post("/webhooks/aliyun/sms-report/s3cret-token", json={"not": "a list"})
        assert bad.status == 400
        ok = await api.client.post("/webhooks/aliyun/sms-report/s3cret-token", json=report)
        assert ok.status == 200 and (await ok.json())["code"] == 0
        [message] = await outbox.list()
        assert message.status == "delivered" and message.error_code is None
