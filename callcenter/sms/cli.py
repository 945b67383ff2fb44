"""`zhitong sms …` and `zhitong faxes …`: what operators check and nudge. JSON lines, masked numbers."""

from __future__ import annotations

import argparse
import json
from typing import Any

from callcenter.cli_args import iso_time
from callcenter.fax.receipts import STATUSES as FAX_STATUSES

from .outbox import STATUSES as SMS_STATUSES


def add_sms_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="sms_command", required=True)
    ls = sub.add_parser("list", help="print the outbox, newest first (numbers masked, no bodies)")
    ls.add_argument("--status", choices=SMS_STATUSES)
    ls.add_argument("--order", help="only the messages of this order")
    ls.add_argument("--limit", type=int, default=100)
    run = sub.add_parser("run-due", help="send the messages due at --at (default now) through the provider")
    run.add_argument("--at", type=iso_time, help="ISO 8601; without an offset read as Asia/Shanghai")


def add_faxes_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="faxes_command", required=True)
    ls = sub.add_parser("list", help="print the received faxes, newest first")
    ls.add_argument("--status", choices=FAX_STATUSES)
    ls.add_argument("--limit", type=int, default=100)
    sub.add_parser("run", help="read and draft every fax waiting in the queue, then exit")


async def sms_command(args: argparse.Namespace, services: Any) -> int:
    if args.sms_command == "list":
        for message in await services.sms.outbox.list(status=args.status, order_number=args.order, limit=args.limit):
            print(json.dumps(message.to_json(), ensure_ascii=False))
        return 0
    if services.sms.provider is None:
        print(json.dumps({"error": "sms-off", "detail": "SMS is off: set ZHITONG_SMS or the Twilio account"}))
        return 2
    print(json.dumps((await services.sms.run_due(args.at)).to_json(), ensure_ascii=False))
    return 0


async def faxes_command(args: argparse.Namespace, services: Any) -> int:
    if args.faxes_command == "list":
        for receipt in await services.faxes.receipts.list(status=args.status, limit=args.limit):
            print(json.dumps(receipt.to_json(), ensure_ascii=False))
        return 0
    processed = 0
    while await services.faxes.run_once():
        processed += 1
    print(json.dumps({"processed": processed}))
    return 0
