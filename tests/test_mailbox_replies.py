"""Mail replies and threading end to end: an emailed draft registered → a reply by SMTP with our
Message-ID; the enterprise's answer to it (In-Reply-To, or the order number in the subject) → a
supplement on that order; a down or refusing SMTP server loses nothing (outbox retries)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.db.mailbox_tables import mail_inbox
from callcenter.mailbox.outbox import MailOutbox
from callcenter.orders.services import SYSTEM, SearchQuery
from tests.blob_helpers import read_blob
from tests.mailbox_helpers import MailStack, closed_port, mail, open_mail_stack
from worksheet import commands as c
from worksheet.model import Actor, Role, Status

AGENT = Actor("agent1", Role.AGENT)
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
async def stack(db_url: str, tmp_path: Path) -> AsyncIterator[MailStack]:
    async with open_mail_stack(db_url, tmp_path) as opened:
        yield opened


async def poll(stack: MailStack) -> int:
    session = await stack.mailbox.poller.connect()
    try:
        return await stack.mailbox.poller.poll_once(session)
    finally:
        await asyncio.to_thread(session.close)


async def email_orders(stack: MailStack) -> list[Any]:
    found, _ = await stack.services.orders.search(SearchQuery(channel="email", limit=100), SYSTEM)
    return sorted(found, key=lambda o: o.number)


def received(stack: MailStack) -> list[Any]:
    return [message_from_bytes(e.original_content, policy=policy.default) for e in stack.smtp.received]


async def registered_from_mail(stack: MailStack) -> tuple[str, Any]:
    """An enterprise mails in; an agent confirms the draft; the acceptance goes out by SMTP."""
    stack.dovecot.append(mail("厂区门前道路积水", "厂区门前道路积水严重，车辆无法通行。", message_id="<first@factory.cn>"))
    await poll(stack)
    (draft,) = await email_orders(stack)
    await stack.services.orders.act(draft.number, c.Confirm(actor=AGENT, changes={"category": "complaint"}))
    assert await stack.mailbox.replies.run_due() == 1
    (reply,) = received(stack)
    return draft.number, reply


async def test_registering_a_mailed_draft_mails_the_acceptance_threaded_to_the_mail(stack: MailStack) -> None:
    number, reply = await registered_from_mail(stack)
    assert reply["To"] == "wang@factory.cn" and reply["In-Reply-To"] == "<first@factory.cn>"
    assert reply["Subject"] == f"【直通热线】您的来信已受理（工单号{number}）"
    assert reply["Auto-Submitted"] == "auto-generated"
    assert f"工单号{number}" in reply.get_content() and "前答复" in reply.get_content()
    (row,) = await stack.mailbox.outbox.list()
    assert (row.status, row.message_id, row.order_number) == ("sent", reply["Message-ID"], number)
    # The same event again (a reconcile pass after a restart) queues nothing new.
    await stack.mailbox.replies.reconcile(stack.services.orders.orders, stack.clock() - timedelta(hours=1))
    assert await stack.mailbox.replies.run_due() == 0 and len(stack.smtp.received) == 1


async def test_an_answer_to_our_reply_is_a_supplement_on_the_order(stack: MailStack) -> None:
    number, reply = await registered_from_mail(stack)
    answer = mail("Re: 回复", "补充：积水已经三天了\n\n在 2026年11月23日 直通热线 写道：\n> 您的来信已受理",
                  headers=f"In-Reply-To: {reply['Message-ID']}\r\nReferences: <first@factory.cn> {reply['Message-ID']}\r\n")
    stack.dovecot.append(answer)
    # The order number in the subject alone finds the order too.
    stack.dovecot.append(mail(f"关于工单{number}的补充材料", "现场照片稍后补发", sender="li@factory.cn",
                              attachment=("现场.pdf".encode().hex() + ".pdf", PDF)))
    assert await poll(stack) == 2
    (order,) = await email_orders(stack)
    supplements = [e for e in order.history if e.type == "supplement"]
    assert [e.data["text"].splitlines()[1] for e in supplements] == ["补充：积水已经三天了", "现场照片稍后补发"]
    assert "您的来信已受理" not in supplements[0].data["text"]  # the quoted history is cut off
    (blob,) = await stack.services.blobs.for_order(order)  # the supplement's file is the order's
    assert blob.content_type == "application/pdf" and supplements[1].data["attachments"] == [blob.id]
    assert await read_blob(stack.services, blob.id) == PDF
    async with stack.services.engine.connect() as conn:
        outcomes = [r.outcome for r in await conn.execute(select(mail_inbox.c.outcome).order_by(mail_inbox.c.uid))]
    assert outcomes == ["draft", "supplement", "supplement"]


async def test_an_answer_about_a_discarded_order_becomes_a_new_draft_naming_it(stack: MailStack) -> None:
    stack.dovecot.append(mail("测试", "测试邮件"))
    await poll(stack)
    (first,) = await email_orders(stack)
    number = first.number
    await stack.services.orders.act(number, c.Discard(actor=AGENT, reason="无实际诉求"))  # takes no supplements
    stack.dovecot.append(mail(f"Re: 工单{number}", "问题又出现了"))
    await poll(stack)
    orders = await email_orders(stack)
    assert len(orders) == 2
    new = orders[1]
    assert new.status == Status.DRAFT and f"来信涉及工单{number}" in new.content and "问题又出现了" in new.content


async def test_a_down_smtp_server_loses_no_reply_and_a_refusal_is_kept(stack: MailStack) -> None:
    outbox: MailOutbox = stack.mailbox.outbox
    replies = stack.mailbox.replies
    port = stack.settings.smtp_port
    replies.settings = stack.settings.__class__(**{**stack.settings.__dict__, "smtp_port": closed_port()})
    stack.dovecot.append(mail("来信", "内容"))
    await poll(stack)
    (draft,) = await email_orders(stack)
    await stack.services.orders.act(draft.number, c.Confirm(actor=AGENT, changes={"category": "complaint"}))
    assert await replies.run_due() == 0
    (row,) = await outbox.list()
    assert row.status == "pending" and row.attempts == 1 and "ConnectionRefused" in (row.last_error or "")
    assert await replies.run_due() == 0 and (await outbox.list())[0].attempts == 1  # not due yet
    replies.settings = stack.settings.__class__(**{**stack.settings.__dict__, "smtp_port": port})
    stack.clock.now += timedelta(minutes=2)
    assert await replies.run_due() == 1
    assert (await outbox.list())[0].status == "sent" and len(stack.smtp.received) == 1
    # A 5xx for the recipient is final: kept with its reason, not retried.
    stack.smtp.refuse = 550
    stack.dovecot.append(mail("第二封", "内容2", sender="nobody@factory.cn"))
    await poll(stack)
    second = (await email_orders(stack))[1]
    await stack.services.orders.act(second.number, c.Confirm(actor=AGENT, changes={"category": "complaint"}))
    assert await replies.run_due() == 0
    refused = (await outbox.list(order_number=second.number))[0]
    assert refused.status == "failed" and "550" in (refused.last_error or "")
