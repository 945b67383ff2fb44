"""`zhitong callbacks …`: list the survey jobs, or dial the due ones at a given time. JSON lines."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.cli_args import iso_time

from .jobs import CallbackJobRepository
from .services import CallbackService
from .table import STATUSES


def add_callbacks_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of the `callbacks` subcommand (the parser the lead creates with sub.add_parser)."""
    sub = parser.add_subparsers(dest="callbacks_command", required=True)
    ls = sub.add_parser("list", help="print the callback (回访) jobs as JSON lines, by due time")
    ls.add_argument("--status", choices=STATUSES, help="only jobs in this status")
    run = sub.add_parser("run-due", help="expire stale dials, then dial the jobs due at --at; prints the report")
    run.add_argument("--at", type=iso_time, required=True, help="ISO 8601; without an offset read as Asia/Shanghai")


def _parts(target: Any) -> tuple[CallbackJobRepository, CallbackService | None]:
    """Accepts a CallbackService, an object with `.callbacks` (the application's services),
    an object with `.engine`, or an AsyncEngine."""
    if isinstance(target, CallbackService):
        return target.repo, target
    service = getattr(target, "callbacks", None)
    if isinstance(service, CallbackService):
        return service.repo, service
    engine = target if isinstance(target, AsyncEngine) else getattr(target, "engine", None)
    if not isinstance(engine, AsyncEngine):
        raise TypeError(f"callbacks_command needs services or an engine, got {type(target).__name__}")
    return CallbackJobRepository(engine), None


async def callbacks_command(args: argparse.Namespace, services_or_engine: Any) -> int:
    repo, service = _parts(services_or_engine)
    if args.callbacks_command == "list":
        for job in await repo.list(args.status):
            print(json.dumps(job.to_json(), ensure_ascii=False))
        return 0
    if args.callbacks_command == "run-due":
        if service is None or service.dialer is None:
            print("zhitong: error: run-due needs the callback service with an AMI dialer", file=sys.stderr)
            return 2
        print(json.dumps({"expire": (await service.expire(args.at)).to_json()}, ensure_ascii=False))
        print(json.dumps({"run": (await service.run_due(args.at)).to_json()}, ensure_ascii=False))
        return 0
    raise ValueError(f"unknown callbacks command {args.callbacks_command!r}")
