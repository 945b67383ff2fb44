"""The mailbox's parts, built once by the composition root (callcenter/app.py) when configured."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.blobs.service import BlobService
from callcenter.intake.text_drafts import Extract
from callcenter.orders.services import OrderService
from worksheet.deadlines import Policy

from .config import MailSettings
from .inbox import MailInbox
from .intake import MailIntake
from .outbox import MailOutbox
from .poller import MailPoller
from .replies import MailReplies

# How long a node's claim on a mail lasts: longer than any mail takes (a 30 MB mail with ten
# attachments and the draft's extraction take seconds), short enough that a dead node's mail is
# taken over soon.
CLAIM_LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class Mailbox:
    inbox: MailInbox
    outbox: MailOutbox
    intake: MailIntake
    poller: MailPoller
    replies: MailReplies

    def workers(self) -> list[asyncio.Task[None]]:
        return [asyncio.create_task(self.poller.run(), name="mail-poller"),
                asyncio.create_task(self.replies.run(), name="mail-sender")]


def build_mailbox(settings: MailSettings, engine: AsyncEngine, orders: OrderService, blobs: BlobService,
                  extract: Extract | None, policy: Policy, clock: Callable[[], datetime], *,
                  lease: timedelta = CLAIM_LEASE) -> Mailbox:
    inbox = MailInbox(engine, settings.node, lease)
    outbox = MailOutbox(engine)
    intake = MailIntake(inbox, outbox, orders, blobs, extract, clock, per_file=blobs.upload_max)
    replies = MailReplies(outbox, settings, policy, clock)
    orders.observers.append(replies.on_order_changed)
    return Mailbox(inbox, outbox, intake, MailPoller(settings, inbox, intake, clock), replies)
