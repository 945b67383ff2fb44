"""One mail → a draft, or a supplement on the order it answers; robots' mail → nothing.

A mail answers an order when its In-Reply-To/References name a mail we sent about that order or
an earlier mail of the sender that became that order, or when its subject carries an order number
(our replies' subjects do). A reply to an order that takes no more supplements (closed,
discarded) becomes a new draft that names it.

Idempotent under a taken-over claim (the node that held it died mid-mail): the draft carries the
mail's key in its ``extra`` and the supplement in its ``source``; before creating either again the
order is looked up. So a mail is drafted once even when the database saw the draft but not the
inbox's "done".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from callcenter.blobs.service import BlobService
from callcenter.db.errors import OrderNotFound
from callcenter.intake.text_drafts import Extract, TextSource, draft_from_text
from callcenter.orders.services import SYSTEM, OrderService
from worksheet import commands as c
from worksheet.errors import WorksheetError
from worksheet.intake import MAX_TEXT
from worksheet.model import Channel, Status, WorkOrder

from .attachments import store_attachments
from .codec import ParsedMail, parse_mail
from .inbox import Claim, MailInbox
from .outbox import MailOutbox
from .privacy import mask_address

log = logging.getLogger(__name__)
ORDER_NUMBER = re.compile(r"(?<!\d)(\d{8}-\d{4})(?!\d)")
BODY_LIMIT = MAX_TEXT - 2000  # room for the header lines and notes


@dataclass(frozen=True)
class MailResult:
    status: str  # done | ignored | duplicate
    outcome: str  # draft, supplement, bounce, auto_reply, duplicate
    order_number: str | None = None
    message_id: str | None = None


class MailIntake:
    def __init__(self, inbox: MailInbox, outbox: MailOutbox, orders: OrderService, blobs: BlobService,
                 extract: Extract | None, clock: Callable[[], datetime], *, per_file: int) -> None:
        self.inbox, self.outbox, self.orders, self.blobs = inbox, outbox, orders, blobs
        self.extract, self.clock, self.per_file = extract, clock, per_file

    async def process(self, claim: Claim, raw: bytes, *, full_size: int | None = None) -> MailResult:
        """``full_size``: the mail's size when only its first ``len(raw)`` bytes were fetched."""
        mail = parse_mail(raw)
        who = mask_address(mail.sender)
        if mail.automatic:
            log.info("mail %s/%s from %s is %s: not drafted", claim.mailbox, claim.key, who, mail.automatic)
            return MailResult("ignored", mail.automatic, message_id=mail.message_id)
        if mail.message_id and await self.inbox.processed_elsewhere(claim.mailbox, mail.message_id, claim.uidvalidity):
            log.info("mail %s/%s: %s was processed before the folder was renumbered", claim.mailbox, claim.key,
                     mail.message_id[:80])
            return MailResult("duplicate", "duplicate", message_id=mail.message_id)
        target = await self._answered_order(mail)
        if target is not None:
            done = await self._supplement(claim, mail, target, full_size)
            if done is not None:
                return MailResult("done", "supplement", done, mail.message_id)
        order = await self._draft(claim, mail, target, full_size)
        log.info("mail %s/%s from %s: draft %s", claim.mailbox, claim.key, who, order)
        return MailResult("done", "draft", order, mail.message_id)

    async def _answered_order(self, mail: ParsedMail) -> WorkOrder | None:
        ids = mail.thread_ids
        number = await self.outbox.order_for_message_ids(ids) or await self.inbox.order_for_thread(ids)
        candidates = [number] if number else []
        candidates += ORDER_NUMBER.findall(mail.subject)
        for candidate in dict.fromkeys(candidates):
            try:
                order = await self.orders.orders.get(candidate)
            except OrderNotFound:
                continue
            for _ in range(5):  # merged: the matter lives on in the other order (a short chain at most)
                if order.status != Status.MERGED or not order.merged_into:
                    break
                try:
                    order = await self.orders.orders.get(order.merged_into)
                except OrderNotFound:
                    break
            return order
        return None

    async def _supplement(self, claim: Claim, mail: ParsedMail, order: WorkOrder, full_size: int | None) -> str | None:
        """The order's number, or None when it takes no supplement (the mail becomes a draft)."""
        source = f"email:{claim.key}"
        if claim.taken_over and any(e.type == "supplement" and e.data.get("source") == source for e in order.history):
            return order.number
        stored = await store_attachments(self.blobs, mail.attachments, per_file=self.per_file,
                                         keep=full_size is None)
        lines = [f"邮件补充（{_sender(mail)}）：{mail.subject or '无主题'}", _body(mail, full_size)]
        lines += [f"附件已保存：{name}" for name in stored.names] + list(stored.notes)
        try:
            await self.orders.act(order.number, c.AddSupplement(actor=SYSTEM, text="\n".join(lines)[:MAX_TEXT],
                                                                source=source, attachments=stored.ids))
        except WorksheetError:
            return None
        return order.number

    async def _draft(self, claim: Claim, mail: ParsedMail, about: WorkOrder | None, full_size: int | None) -> str:
        key = f"{claim.mailbox}:{claim.key}"
        if claim.taken_over and (earlier := await self._earlier_draft(key, claim.received_at)) is not None:
            return earlier
        stored = await store_attachments(self.blobs, mail.attachments, per_file=self.per_file, keep=full_size is None)
        lines = [f"发件人：{_sender(mail)}", f"主题：{mail.subject or '无主题'}"]
        if about is not None:
            lines.append(f"来信涉及工单{about.number}（{_status_text(about)}），已另建草稿。")
        if mail.forwarded:
            lines.append("（转发邮件）")
        lines += ["", _body(mail, full_size)]
        notes = list(stored.notes) + ([f"邮件格式有误：{'；'.join(mail.defects)}"] if mail.defects else [])
        if notes:
            lines += ["", *notes]
        origin = {"from": mail.sender, "name": mail.sender_name, "message_id": mail.message_id,
                  "subject": mail.subject, "key": key}
        order = await draft_from_text(self.orders, self._extract_for(mail), TextSource(
            channel=Channel.EMAIL, sender=None, text="\n".join(lines), received_at=claim.received_at,
            subject=(mail.subject or "邮件来信（待确认）")[:200], label="邮件原文", empty="（空邮件）",
            attachments=stored.ids, extra={"email": origin}, source=f"email:{claim.key}",
            who=mail.sender_name or mail.sender or None))
        return order.number

    def _extract_for(self, mail: ParsedMail) -> Extract | None:
        """The text extractor, except that a mail's own subject stays the draft's subject."""
        extract = self.extract
        if extract is None or not mail.subject:
            return extract

        async def keep_subject(text: str, phone: str | None, words: Sequence[Any]) -> dict[str, Any]:
            fields = dict(await extract(text, phone, words))
            fields.pop("subject", None)
            return fields

        return keep_subject

    async def _earlier_draft(self, key: str, received_at: datetime) -> str | None:
        found, _ = await self.orders.orders.search(channel=Channel.EMAIL.value, received_from=received_at - timedelta(seconds=1),
                                                   received_to=received_at + timedelta(seconds=1), limit=None)
        for order in found:
            extra = (order.history[0].data.get("extra") or {}) if order.history else {}
            if (extra.get("email") or {}).get("key") == key:
                return order.number
        return None


def _sender(mail: ParsedMail) -> str:
    if mail.sender_name and mail.sender:
        return f"{mail.sender_name} <{mail.sender}>"
    return mail.sender or "未知发件人"


def _body(mail: ParsedMail, full_size: int | None) -> str:
    text = mail.text.strip() or "（邮件无正文）"
    if len(text) > BODY_LIMIT:
        text = text[:BODY_LIMIT] + "\n（正文过长，以下内容略去，请到邮箱查看原件）"
    if full_size is not None:
        text += f"\n（邮件过大，共约{max(1, full_size >> 20)}MB，仅读取了前一部分，请到邮箱查看原件）"
    return text


def _status_text(order: WorkOrder) -> str:
    return {Status.CLOSED: "已办结", Status.DISCARDED: "已作废"}.get(order.status, "当前不能补充")
