"""`zhitong liaison …`: assign liaison officers (帮扶专员) to enterprises and set their contacts."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_liaison_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="liaison_command", required=True)
    assign = sub.add_parser("assign", help="make a user the liaison of an enterprise")
    assign.add_argument("enterprise", help="the enterprise's full name or credit code")
    assign.add_argument("username")
    gone = sub.add_parser("unassign", help="the enterprise has no liaison any more")
    gone.add_argument("enterprise")
    contact = sub.add_parser("contact", help="how to reach a liaison beyond their page")
    contact.add_argument("username")
    contact.add_argument("--mobile", help="for SMS notices")
    contact.add_argument("--wecom", help="WeCom account, @-mentioned in the liaison group")
    sub.add_parser("list", help="print the assignments (numbers masked)")


async def liaison_command(args: argparse.Namespace, services: Any) -> int:
    repo, cmd = services.liaisons, args.liaison_command
    if cmd == "assign":
        await repo.assign(args.enterprise, args.username, "cli", services.clock())
        rows: list[Any] = [{"enterprise": args.enterprise, "liaison": args.username}]
    elif cmd == "unassign":
        rows = [{"enterprise": args.enterprise, "removed": await repo.unassign(args.enterprise)}]
    elif cmd == "contact":
        await repo.set_contact(args.username, args.mobile, args.wecom)
        rows = [{"liaison": args.username, "saved": True}]
    else:
        rows = await repo.assignments()
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    return 0
