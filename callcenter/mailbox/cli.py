"""`zhitong mail …`: what an operator checks and nudges about the service mailbox. JSON lines;
addresses masked, no bodies."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import datetime
from typing import Any

from .privacy import mask_address


def add_mail_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="mail_command", required=True)
    inbox = sub.add_parser("inbox", help="mails seen in the folder, newest first (dead letters with --status dead)")
    inbox.add_argument("--status", choices=("pending", "processing", "done", "ignored", "duplicate", "dead"))
    inbox.add_argument("--limit", type=int, default=100)
    outbox = sub.add_parser("outbox", help="replies mailed or waiting, newest first (addresses masked)")
    outbox.add_argument("--order", help="only the replies of this order")
    outbox.add_argument("--limit", type=int, default=100)
    retry = sub.add_parser("retry", help="send a dead letter back for processing in the next round")
    retry.add_argument("id", type=int)
    sub.add_parser("poll", help="read the folder once (claims as a node would), send due replies, exit")


def _json(row: dict[str, Any]) -> str:
    return json.dumps({k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}, ensure_ascii=False)


async def mail_command(args: argparse.Namespace, services: Any) -> int:
    mailbox = services.mailbox
    if mailbox is None:
        print(json.dumps({"error": "mail-off", "detail": "the mailbox is off: set ZHITONG_MAIL_IMAP_HOST"}))
        return 2
    if args.mail_command == "inbox":
        for row in await mailbox.inbox.list(status=args.status, limit=args.limit):
            print(_json(row))
        return 0
    if args.mail_command == "outbox":
        for mail in await mailbox.outbox.list(order_number=args.order, limit=args.limit):
            view = {k: getattr(mail, k) for k in ("id", "order_number", "template", "status", "attempts",
                                                  "message_id", "last_error", "created_at", "sent_at")}
            print(_json({**view, "to_addr": mask_address(mail.to_addr)}))
        return 0
    if args.mail_command == "retry":
        if not await mailbox.inbox.requeue(args.id, services.clock()):
            print(json.dumps({"error": "not-dead", "detail": f"no dead letter {args.id}"}))
            return 1
        print(json.dumps({"requeued": args.id}))
        return 0
    session = await mailbox.poller.connect()
    try:
        processed = await mailbox.poller.poll_once(session)
    finally:
        await asyncio.to_thread(session.close)
    print(json.dumps({"processed": processed, "sent": await mailbox.replies.run_due()}))
    return 0
