"""A draft order from written text (an SMS body, a fax's OCR text), filled the way the speech
pipeline fills a voice message's draft: confident fields written in, all of them suggested.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from callcenter.orders.services import SYSTEM, OrderService
from callcenter.sms.privacy import mask_phone
from callcenter.speech.drafts import draft_changes
from worksheet import commands as c
from worksheet.callerid import caller_number
from worksheet.intake import NewOrder
from worksheet.model import Category, Channel, Enterprise, WorkOrder

# Until an agent writes the enterprise, the draft names the sender by the way the text came.
SENDER = {Channel.SMS: "短信", Channel.FAX: "传真", Channel.EMAIL: "邮件"}
# (text, caller id, timed words) → DraftFields.to_json(); the speech pipeline's DraftExtractor.
Extract = Callable[[str, str | None, Sequence[Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class TextSource:
    channel: Channel
    sender: str | None  # the caller ID or SMS sender as the order should show it
    text: str
    received_at: datetime
    subject: str  # until an agent writes one, e.g. "短信留言（待确认）"
    label: str  # names the source text beside the draft's form, e.g. "短信原文"
    empty: str  # the content when there is no text at all
    attachments: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # shown with the suggestion, e.g. "sms:SM…" or the fax file
    # A form the sender filled in (the portal): its enterprise and category, and the fields (of
    # "enterprise", "category", "subject") the text's findings must not overwrite, only suggest.
    enterprise: Enterprise | None = None
    category: Category | None = None
    kept: frozenset[str] = frozenset()
    who: str | None = None  # names the sender when there is no number (a mail's sender name)


async def draft_from_text(orders: OrderService, extract: Extract | None, src: TextSource) -> WorkOrder:
    # A fax machine without caller ID or an SMS gateway's sender name is no number: the text is
    # drafted without one (a phone the order validation refuses would lose the fax or the message).
    phone = caller_number(src.sender)
    who = mask_phone(phone) if phone else (src.who or "未知号码")  # the number itself is in the phone field
    sender = src.enterprise or Enterprise(name=f"{SENDER.get(src.channel, '来件')} {who}", phone=phone)
    phone = sender.phone
    spec = NewOrder(channel=src.channel, category=src.category or Category.HELP, enterprise=sender, subject=src.subject, content=src.text.strip() or src.empty,
                    received_at=src.received_at, attachments=src.attachments, draft=True, extra=src.extra)
    order = await orders.create(spec, SYSTEM)
    if extract is None or not src.text.strip():
        return order
    fields = await extract(src.text, phone, ())
    e = order.enterprise
    enterprise = {"name": e.name, "credit_code": e.credit_code, "contact_person": e.contact_person, "phone": e.phone}
    changes = draft_changes(fields, src.text, enterprise, label=src.label, empty=src.empty, written=True)
    for name in src.kept:
        changes.pop(name, None)
    suggestion = {"source": src.source, "label": src.label, "text": src.text, "fields": fields,
                  "empty": bool(fields.get("empty"))}
    return await orders.act(order.number, c.AmendDraft(actor=SYSTEM, changes=changes, suggestion=suggestion))
