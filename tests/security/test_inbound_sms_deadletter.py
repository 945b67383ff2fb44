"""An inbound SMS is never lost and never retried forever.

A message with NUL characters is stored without them (the removal noted), its signature checked
over what Twilio sent. A message that cannot be processed is acknowledged, tried again with
growing delays (one log line per attempt, the stack once, never the text or the full number),
then left as a dead letter that supervisors see in the API and on their board and can send back.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

import pytest

from callcenter.app import build_services
from callcenter.db.migrate import upgrade
from callcenter.keys import AUDIT, SMS_INBOUND
from callcenter.settings import Settings
from callcenter.sms.http import INBOUND_PATH
from callcenter.sms.inbox import MAX_ATTEMPTS, PROCESSING_LEASE, retry_delay
from callcenter.sms.webhooks import InboundSms
from tests.api_helpers import FakeClock
from tests.fake_twilio import FakeTwilio
from tests.security.hostile import Stage, module_stage

SENDER, DIGITS = "+8613900139000", "13900139000"
TWILIO = FakeTwilio()  # not started: it only signs and posts, like Twilio calling us
SECRET = "华翔路施工的秘密细节"


stage = module_stage(pages=("boss",), twilio_auth_token=TWILIO.auth_token)
shared = pytest.mark.asyncio(loop_scope="module")  # the tests on the shared stage


def unroutable(stage: Stage) -> Any:
    """Make routing fail with an error whose message quotes the text and the number (as a database
    error quoting its parameters would); returns a function that undoes it."""
    service = stage.api.client.server.app[SMS_INBOUND]
    real = service._route

    async def failing(sms: InboundSms, now: datetime) -> Any:
        raise RuntimeError(f"cannot route {sms.body!r} from {sms.sender}")

    service._route = failing  # type: ignore[method-assign]
    return lambda: setattr(service, "_route", real)


async def inbox_row(stage: Stage, sid: str) -> dict[str, Any]:
    status, data = await stage.api.call("boss", "GET", "/api/v1/sms/inbound?limit=500")
    assert status == 200, data
    [row] = [r for r in data["items"] if r["message_sid"] == sid]
    return dict(row)


async def exhaust(stage: Stage, sid: str) -> tuple[dict[str, Any], list[datetime]]:
    """Run the retry loop at each retry time until the attempts run out; the times it ran."""
    service, times = stage.api.client.server.app[SMS_INBOUND], []
    row = await inbox_row(stage, sid)
    while row["next_attempt_at"] is not None:
        due = datetime.fromisoformat(row["next_attempt_at"])
        assert await service.retry_stuck(due - timedelta(seconds=1)) == 0  # not before its time
        assert (await inbox_row(stage, sid))["attempts"] == row["attempts"]
        await service.retry_stuck(due)
        times.append(due)
        row = await inbox_row(stage, sid)
    return row, times


@shared
async def test_a_message_with_nul_is_stored_without_it_and_the_removal_noted(stage: Stage) -> None:
    url, sid = stage.base + INBOUND_PATH, "SM" + "1" * 32
    assert await TWILIO.send_inbound(url, SENDER, "华翔路\x00施工，货车\x00出不去", sid=sid) == 200
    row = await inbox_row(stage, sid)
    assert row["body"] == "华翔路施工，货车出不去" and row["outcome"] == "draft"
    assert "NUL" in row["note"] and "2 from Body" in row["note"]
    _, order = await stage.api.call("agent", "GET", f"/api/v1/orders/{row['order_number']}")
    assert "华翔路施工，货车出不去" in order["content"] and "\x00" not in order["content"]
    # The signature covers what Twilio sent: one made over the cleaned form does not match.
    form = {"MessageSid": "SM" + "2" * 32, "From": SENDER, "To": "+8610012345", "Body": "a\x00b"}
    forged = TWILIO.sign(url, {**form, "Body": "ab"})
    assert await TWILIO.post_signed(url, form, signature=forged) == 403
    status, data = await stage.api.call("boss", "GET", "/api/v1/sms/inbound")
    assert all(r["message_sid"] != form["MessageSid"] for r in data["items"])


@shared
async def test_an_unprocessable_message_is_retried_with_backoff_then_dead_lettered(
        stage: Stage, caplog: pytest.LogCaptureFixture) -> None:
    restore = unroutable(stage)
    sid = "SM" + "3" * 32
    with caplog.at_level(logging.INFO, logger="callcenter.sms"):
        assert await TWILIO.send_inbound(stage.base + INBOUND_PATH, SENDER, SECRET, sid=sid) == 200  # acknowledged
        first = await inbox_row(stage, sid)
        assert (first["outcome"], first["attempts"], first["last_error"]) == (None, 1, "RuntimeError")
        received = datetime.fromisoformat(first["received_at"])
        assert datetime.fromisoformat(first["next_attempt_at"]) == received + retry_delay(1)
        row, times = await exhaust(stage, sid)
    restore()
    assert (row["outcome"], row["attempts"], row["next_attempt_at"]) == ("dead_letter", MAX_ATTEMPTS, None)
    # Growing delays: each retry waited twice as long as the one before (up to the cap).
    waits = [b - a for a, b in zip([received, *times], times, strict=False)]
    assert waits == [retry_delay(n) for n in range(1, MAX_ATTEMPTS)]
    assert waits[1] == 2 * waits[0] and waits[-1] > waits[0]
    assert await stage.api.client.server.app[SMS_INBOUND].retry_stuck(times[-1] + timedelta(days=30)) == 0
    assert (await inbox_row(stage, sid))["attempts"] == MAX_ATTEMPTS  # dead letters are not retried
    lines = [r for r in caplog.records if sid in r.getMessage() and r.levelno >= logging.WARNING]
    assert len(lines) == MAX_ATTEMPTS  # one line per failed attempt
    assert [("stack:" in r.getMessage()) for r in lines] == [True] + [False] * (MAX_ATTEMPTS - 1)
    for record in lines:
        text = record.getMessage()
        assert record.exc_info is None and SECRET not in text and DIGITS not in text, text
        assert "+86139****9000" in text


@shared
async def test_a_supervisor_sees_dead_letters_and_sends_them_back(stage: Stage) -> None:
    restore = unroutable(stage)
    sid = "SM" + "4" * 32
    assert await TWILIO.send_inbound(stage.base + INBOUND_PATH, SENDER, "园区积水，请处理", sid=sid) == 200
    dead, _ = await exhaust(stage, sid)
    status, data = await stage.api.call("boss", "GET", "/api/v1/sms/inbound?outcome=dead_letter")
    [listed] = [r for r in data["items"] if r["message_sid"] == sid]
    assert status == 200 and all(r["outcome"] == "dead_letter" for r in data["items"])
    assert listed["sender"] == "+86139****9000" and listed["last_error"] == "RuntimeError"
    board = await stage.send("boss", "GET", "/supervisor")
    assert board.status == 200 and "无法自动处理的收到短信" in board.text and "重新处理" in board.text
    assert "+86139****9000" in board.text and DIGITS not in board.text and "RuntimeError" not in board.text
    path = f"/api/v1/sms/inbound/{dead['id']}/retry"
    assert (await stage.api.call("agent", "POST", path))[0] == 403
    assert (await stage.api.call("zjj", "POST", path))[0] == 403
    assert (await stage.api.call("boss", "POST", "/api/v1/sms/inbound/999999/retry"))[0] == 404
    status, seeded = await stage.api.call("boss", "GET", "/api/v1/sms/inbound?outcome=draft")
    assert (await stage.api.call("boss", "POST", f"/api/v1/sms/inbound/{seeded['items'][0]['id']}/retry"))[0] == 409
    restore()  # the cause is fixed; the supervisor sends the message back from the board
    back = await stage.send("boss", "POST", f"/supervisor/sms-inbound/{dead['id']}/retry",
                            body=f"_csrf={stage.csrf['boss']}".encode(),
                            content_type="application/x-www-form-urlencoded")
    assert back.status == 303
    row = await inbox_row(stage, sid)
    assert (row["outcome"], row["attempts"]) == (None, 0)
    assert (await stage.api.call("boss", "POST", path))[0] == 409  # already on its way
    audit = await stage.api.client.server.app[AUDIT].list(subject=f"sms:{sid}")
    assert [(a["actor"], a["action"]) for a in audit] == [("boss", "sms-requeue")]
    # The board woke the background loop: the message is processed at once, not in 15 s.
    for _ in range(100):
        if (row := await inbox_row(stage, sid))["outcome"] not in (None, "processing"):
            break
        await asyncio.sleep(0.05)
    assert row["outcome"] in ("draft", "supplement") and row["order_number"]  # routed like any message


async def test_a_claim_held_by_a_node_that_died_is_taken_again(db_url: str) -> None:
    await upgrade(db_url)
    clock = FakeClock()
    service = build_services(Settings(database_url=db_url), clock=clock).sms_inbound
    now = clock()
    try:
        sms = InboundSms(message_sid="SM" + "5" * 32, sender=SENDER, recipient="+8610012345", body="路灯不亮")
        row_id, _ = await service.inbox.store(sms, now - timedelta(minutes=5), "")
        [row] = [r for r in await service.inbox.due(now) if r.id == row_id]
        assert await service.inbox.claim(row, now)  # … and the node holding it dies
        assert not await service.inbox.claim(row, now)  # nobody else takes it meanwhile
        assert await service.retry_stuck(now + PROCESSING_LEASE - timedelta(seconds=1)) == 0
        assert await service.retry_stuck(now + PROCESSING_LEASE) == 1
        settled = await service.get(row_id)
        assert settled is not None and settled["outcome"] == "draft" and settled["attempts"] == 2
    finally:
        await service.inbox.engine.dispose()
