"""The mailbox through the composition root: `build_app` with ZHITONG_MAIL_* set runs the poller and
the sender; a mail becomes a draft agents list by channel, and registering it mails the sender."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from typing import Any

import pytest

from callcenter.mailbox.config import MailSettings
from tests.api_helpers import Api, start_api
from tests.mail_servers import PASSWORD, USER, Dovecot, SmtpSink, dovecot_server, smtp_sink
from tests.mailbox_helpers import mail


async def eventually(check: Any, what: str) -> Any:
    for _ in range(300):  # the poller waits in IDLE, the sender is woken: both are quick
        if found := await check():
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
async def served(db_url: str) -> AsyncIterator[tuple[Api, Dovecot, SmtpSink]]:
    with dovecot_server() as dovecot, smtp_sink() as smtp:
        settings = MailSettings(imap_host="127.0.0.1", imap_port=dovecot.port, imap_tls="off", user=USER,
                                password=PASSWORD, poll_interval_s=600, smtp_host="127.0.0.1", smtp_port=smtp.port,
                                smtp_tls="off", address="hotline@example.gov.cn", node="app", timeout_s=20)
        async for api in start_api(db_url, mail=settings):
            yield api, dovecot, smtp


async def test_the_served_app_drafts_mail_and_mails_the_acceptance(served: tuple[Api, Dovecot, SmtpSink]) -> None:
    api, dovecot, smtp = served
    agent = api.auth("agent")
    dovecot.append(mail("园区路灯不亮", "园区东门路灯已坏一周，夜间出行不便。", message_id="<lamp@factory.cn>"))

    async def drafts() -> list[Any]:
        resp = await api.client.get("/api/v1/orders?channel=email", headers=agent)
        assert resp.status == 200
        return (await resp.json())["items"]

    (draft,) = await eventually(drafts, "the mail drafted")
    assert draft["status"] == "draft" and draft["channel"] == "email"

    async def confirmed() -> bool:
        # The extraction may amend the draft just after it is listed: then the agent reloads (409).
        resp = await api.client.post(f"/api/v1/orders/{draft['number']}/confirm", headers=agent,
                                     json={"changes": {"category": "complaint"}})
        assert resp.status in (200, 409), await resp.text()
        return resp.status == 200

    await eventually(confirmed, "the draft confirmed")

    async def sent() -> list[Any]:
        return list(smtp.received)

    (envelope,) = await eventually(sent, "the acceptance mailed")
    reply = message_from_bytes(envelope.original_content, policy=policy.default)
    assert envelope.rcpt_tos == ["wang@factory.cn"] and reply["In-Reply-To"] == "<lamp@factory.cn>"
    assert draft["number"] in reply["Subject"]


async def test_the_mail_command_lists_polls_and_requeues(db_url: str, tmp_path: Any,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    from callcenter.mailbox.cli import mail_command
    from tests.mailbox_helpers import open_mail_stack

    async with open_mail_stack(db_url, tmp_path) as stack:
        stack.dovecot.append(mail("命令行来信", "内容"))
        assert await mail_command(argparse.Namespace(mail_command="poll"), stack.services) == 0
        assert json.loads(capsys.readouterr().out) == {"processed": 1, "sent": 0}
        assert await mail_command(argparse.Namespace(mail_command="inbox", status=None, limit=10), stack.services) == 0
        (row,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert (row["status"], row["outcome"]) == ("done", "draft")
        assert await mail_command(argparse.Namespace(mail_command="retry", id=row["id"]), stack.services) == 1
        assert "not-dead" in capsys.readouterr().out
