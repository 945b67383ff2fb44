"""The service mailbox end to end against a real dovecot (IMAP, IDLE) on SQLite and PostgreSQL:
mails become drafts once — across a restart, a node dying mid-mail, two nodes at once and a
renumbered folder — robots' mail is not drafted, oversized mail is drafted without its files."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.db.mailbox_tables import mail_inbox
from callcenter.orders.services import SYSTEM, SearchQuery
from tests.blob_helpers import read_blob
from tests.mailbox_helpers import MailStack, mail, open_mail_stack
from worksheet.model import Channel, Status


@pytest.fixture
async def stack(db_url: str, tmp_path: Path) -> AsyncIterator[MailStack]:
    async with open_mail_stack(db_url, tmp_path) as opened:
        yield opened


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def email_orders(stack: MailStack) -> list[Any]:
    found, _ = await stack.services.orders.search(SearchQuery(channel="email", limit=200), SYSTEM)
    return found


async def inbox_rows(stack: MailStack) -> list[Any]:
    async with stack.services.engine.connect() as conn:
        return list(await conn.execute(select(mail_inbox).order_by(mail_inbox.c.uid)))


async def poll(stack: MailStack, poller: Any = None) -> int:
    poller = poller or stack.mailbox.poller
    session = await poller.connect()
    try:
        return await poller.poll_once(session)
    finally:
        await asyncio.to_thread(session.close)


async def test_new_mail_becomes_a_draft_with_its_attachment_and_is_flagged_seen(stack: MailStack) -> None:
    body = "我公司位于朱镕基路，停电三天，影响生产。联系电话13800138000"
    stack.dovecot.append(mail("关于停电的反映", body, charset="gbk", attachment=("scan.pdf", PDF)))
    assert await poll(stack) == 1
    (draft,) = await email_orders(stack)
    assert draft.channel == Channel.EMAIL and draft.status == Status.DRAFT
    assert draft.subject == "关于停电的反映"
    assert "朱镕基路" in draft.content and "wang@factory.cn" in draft.content
    assert draft.enterprise.name == "邮件 王经理"
    (blob_id,) = draft.attachments
    assert await read_blob(stack.services, blob_id) == PDF
    (blob,) = await stack.services.blobs.for_order(draft)
    assert (blob.content_type, blob.name, blob.order_number) == ("application/pdf", "scan.pdf", draft.number)
    (row,) = await inbox_rows(stack)
    assert (row.status, row.outcome, row.order_number) == ("done", "draft", draft.number)
    imap = stack.dovecot.client()
    imap.select("INBOX")
    assert b"\\Seen" in imap.uid("FETCH", str(row.uid), "(FLAGS)")[1][0]
    imap.logout()
    assert await poll(stack) == 0  # the next round finds nothing new
    assert len(await email_orders(stack)) == 1


async def test_a_mail_that_arrived_while_the_app_was_down_counts_from_its_arrival(stack: MailStack) -> None:
    arrived = stack.clock() - timedelta(days=2, hours=3)  # the server's INTERNALDATE, not the sender's Date
    stack.dovecot.append(mail("周末来信", "内容"), arrived=arrived)
    assert await poll(stack) == 1
    (draft,) = await email_orders(stack)
    assert draft.received_at == arrived


async def test_bounces_and_auto_replies_are_recorded_not_drafted(stack: MailStack) -> None:
    stack.dovecot.append(mail("Undelivered Mail Returned to Sender", "could not deliver",
                              sender="MAILER-DAEMON@mx.example.cn"))
    stack.dovecot.append(mail("自动回复：休假中", "我正在休假", headers="Auto-Submitted: auto-replied\r\n"))
    stack.dovecot.append(mail("正常来信", "道路积水"))
    assert await poll(stack) == 3
    assert [o.subject for o in await email_orders(stack)] == ["正常来信"]
    assert [(r.status, r.outcome) for r in await inbox_rows(stack)] == [
        ("ignored", "bounce"), ("ignored", "auto_reply"), ("done", "draft")]
    assert stack.mailbox.poller.counts == {"bounce": 1, "auto_reply": 1, "draft": 1}


async def test_oversized_mail_is_drafted_with_a_note_and_without_its_files(stack: MailStack) -> None:
    big = PDF + b"0" * (3 << 20)  # the stack reads at most 2 MB of a mail
    stack.dovecot.append(mail("材料很大", "正文在附件之前", attachment=("big.pdf", big)))
    assert await poll(stack) == 1
    (draft,) = await email_orders(stack)
    assert "正文在附件之前" in draft.content and "邮件过大" in draft.content
    assert "附件“big.pdf”因邮件过大未保存" in draft.content and draft.attachments == ()


async def test_a_restart_and_a_node_dying_mid_mail_neither_lose_nor_duplicate(stack: MailStack) -> None:
    for n in range(3):
        stack.dovecot.append(mail(f"来信{n}", f"内容{n}"))
    inbox, intake = stack.mailbox.inbox, stack.mailbox.intake
    session = await stack.mailbox.poller.connect()
    validity = await asyncio.to_thread(session.select)
    uids = await asyncio.to_thread(session.uids_from, 1)
    # Mail 1: the node died after the draft was saved, before "done". Mail 2: right after claiming.
    claim = await inbox.claim(session.mailbox, validity, uids[0], stack.clock())
    assert claim is not None
    await intake.process(claim, await asyncio.to_thread(session.fetch, uids[0], None))
    assert await inbox.claim(session.mailbox, validity, uids[1], stack.clock()) is not None
    await asyncio.to_thread(session.close)
    assert len(await email_orders(stack)) == 1

    restarted = stack.second_node("node-a")  # the same node after a restart: a fresh process
    assert await poll(stack, restarted) == 1  # the third; the first two are still claimed (leases)
    stack.lease_expires()
    assert await poll(stack, restarted) == 2
    drafts = await email_orders(stack)
    assert sorted(o.subject for o in drafts) == ["来信0", "来信1", "来信2"]
    rows = await inbox_rows(stack)
    assert [(r.status, r.attempts) for r in rows] == [("done", 2), ("done", 2), ("done", 1)]
    assert {r.order_number for r in rows} == {o.number for o in drafts}
    assert await poll(stack, restarted) == 0


async def test_two_nodes_polling_the_same_mailbox_draft_each_mail_once(stack: MailStack) -> None:
    for n in range(8):
        stack.dovecot.append(mail(f"并发来信{n}", f"内容{n}"))
    node_a, node_b = stack.mailbox.poller, stack.second_node("node-b")
    done = await asyncio.gather(poll(stack, node_a), poll(stack, node_b), poll(stack, node_a))
    assert sum(done) == 8
    drafts = await email_orders(stack)
    assert sorted(o.subject for o in drafts) == sorted(f"并发来信{n}" for n in range(8))
    rows = await inbox_rows(stack)
    assert len(rows) == 8 and {r.status for r in rows} == {"done"} and {r.attempts for r in rows} == {1}


async def test_a_renumbered_folder_drafts_only_the_mail_not_seen_before(stack: MailStack) -> None:
    stack.dovecot.create("Hotline")
    poller = stack.second_node("node-a", folder="Hotline")
    old = [mail(f"旧信{n}", "内容", message_id=f"<old{n}@factory.cn>") for n in range(2)]
    for raw in old:
        stack.dovecot.append(raw, "Hotline")
    assert await poll(stack, poller) == 2
    stack.dovecot.recreate("Hotline", [*old, mail("新信", "新内容", message_id="<new@factory.cn>")])
    assert await poll(stack, poller) == 3
    assert sorted(o.subject for o in await email_orders(stack)) == ["新信", "旧信0", "旧信1"]
    rows = await inbox_rows(stack)
    assert len({r.uidvalidity for r in rows}) == 2
    assert sorted(r.outcome for r in rows) == ["draft", "draft", "draft", "duplicate", "duplicate"]


async def test_idle_wakes_the_poller_for_new_mail(stack: MailStack) -> None:
    # poll interval 600 s: only IDLE can bring the mail in within the wait below
    task = asyncio.create_task(stack.mailbox.poller.run())
    try:
        for _ in range(300):
            if stack.mailbox.poller.rounds:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # the poller is in IDLE now
        stack.dovecot.append(mail("IDLE来信", "内容"))
        for _ in range(300):
            if await email_orders(stack):
                break
            await asyncio.sleep(0.1)
        assert [o.subject for o in await email_orders(stack)] == ["IDLE来信"]
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_hostile_attachments_are_refused_by_kind_size_and_count_never_by_their_names(
        stack: MailStack) -> None:
    stack.mailbox.intake.per_file = 1024  # (the upload limit in service: ZHITONG_UPLOAD_MAX_MB)
    parts = [("../../etc/passwd.pdf", PDF), ("virus.exe", b"MZ\x90\x00" + b"\x00" * 100),
             ("big.pdf", PDF + b"0" * 2000)] + [(f"p{n}.pdf", PDF + bytes([n])) for n in range(11)]
    boundary = "--ZTB\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"{}\"\r\n" \
               "Content-Transfer-Encoding: base64\r\n\r\n{}"
    raw = ("From: a@b.cn\r\nSubject: files\r\nMessage-ID: <files@b.cn>\r\nContent-Type: multipart/mixed; boundary=ZTB\r\n\r\n"
           "--ZTB\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nfiles\r\n"
           + "".join(boundary.format(name, base64.encodebytes(data).decode()) for name, data in parts)
           + "--ZTB--\r\n").encode()
    stack.dovecot.append(raw)
    assert await poll(stack) == 1
    (draft,) = await email_orders(stack)
    blobs = await stack.services.blobs.for_order(draft)
    assert len(blobs) == 10 and blobs[0].name == "passwd.pdf"  # no folder of the sender's survives
    assert all(b.location != b.name and "/" not in b.name for b in blobs)
    assert "附件“virus.exe”未保存：不受理的文件类型" in draft.content
    assert "附件“big.pdf”未保存：超过1KB" in draft.content
    assert "附件“p10.pdf”未保存：每封邮件最多保存10个附件" in draft.content


async def test_a_mail_that_cannot_be_processed_is_retried_then_left_for_a_supervisor(
        stack: MailStack, monkeypatch: pytest.MonkeyPatch) -> None:
    intake = stack.mailbox.intake
    real = intake.process
    failures = {"left": 1}

    async def flaky(claim: Any, raw: bytes, **kw: Any) -> Any:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("database away")
        return await real(claim, raw, **kw)

    monkeypatch.setattr(intake, "process", flaky)
    stack.dovecot.append(mail("暂时失败", "内容"))
    assert await poll(stack) == 0
    (row,) = await inbox_rows(stack)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "RuntimeError")
    assert await poll(stack) == 0  # not due yet
    stack.clock.now += timedelta(minutes=2)
    assert await poll(stack) == 1
    assert [o.subject for o in await email_orders(stack)] == ["暂时失败"]

    failures["left"] = 99
    stack.dovecot.append(mail("一直失败", "内容"))
    for _ in range(6):
        await poll(stack)
        stack.clock.now += timedelta(hours=2)
    row = (await inbox_rows(stack))[-1]
    assert (row.status, row.attempts) == ("dead", 5)
    assert len(await email_orders(stack)) == 1
