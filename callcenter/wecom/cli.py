"""`zhitong wecom …`: robots' webhook keys (read from stdin, never an argument: shell history keeps
arguments), which enterprise a WeCom member speaks for, the robot outbox. JSON lines, keys masked."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .robots import LIAISON_TARGET, unit_target


def add_wecom_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="wecom_command", required=True)
    robot = sub.add_parser("robot-set", help="set a group robot's webhook key (read from stdin)")
    robot.add_argument("target", help=f"a unit code, or {LIAISON_TARGET!r} for the liaison officers' group")
    gone = sub.add_parser("robot-remove", help="remove a group robot")
    gone.add_argument("target")
    sub.add_parser("robots", help="print the robots (keys masked)")
    sender = sub.add_parser("sender-set", help="map a WeCom member to a directory enterprise")
    sender.add_argument("userid")
    sender.add_argument("enterprise", help="the enterprise's full name or credit code")
    sub.add_parser("senders", help="print the WeCom members and their enterprises")
    ls = sub.add_parser("outbox", help="print the robot outbox, newest first")
    ls.add_argument("--order", help="only the notices of this order")
    sub.add_parser("run-due", help="send the robot notices that are due, once")


def _target(name: str) -> str:
    return name if name == LIAISON_TARGET else unit_target(name)


async def wecom_command(args: argparse.Namespace, services: Any) -> int:
    robots, cmd = services.robots, args.wecom_command
    if cmd in ("robot-set", "robot-remove") and args.target != LIAISON_TARGET \
            and await services.units.get(args.target) is None:
        print(json.dumps({"error": "unknown-unit", "detail": f"no unit {args.target!r}"}))
        return 2
    if cmd == "robot-set":
        await robots.keys.set(_target(args.target), sys.stdin.readline().strip(), "cli", services.clock())
        result: Any = {"target": args.target, "saved": True}
    elif cmd == "robot-remove":
        result = {"target": args.target, "removed": await robots.keys.remove(_target(args.target))}
    elif cmd == "robots":
        result = await robots.keys.masked()
    elif cmd == "sender-set":
        await services.wecom_inbound.senders.set(args.userid, args.enterprise, services.clock())
        result = {"userid": args.userid, "enterprise": args.enterprise}
    elif cmd == "senders":
        result = await services.wecom_inbound.senders.all()
    elif cmd == "outbox":
        result = [m.to_json() for m in await robots.outbox.list(order_number=args.order)]
    else:
        try:
            result = await robots.run_due()
        finally:
            await robots.client.close()
    for row in result if isinstance(result, list) else [result]:
        print(json.dumps(row, ensure_ascii=False))
    return 0

