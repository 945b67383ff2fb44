"""The `zhitong` command. Each subcommand prints JSON (or JSON lines) so it can be scripted.

`zhitong draft` only reads text and extracts: `main` dispatches it before the service's modules (the
web app, the PBX adapters, the migrations) are imported, so it answers in well under a second; they
are imported where the other commands need them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callcenter import log_privacy


def _draft_argv(argv: Sequence[str]) -> tuple[str | None, list[str]] | None:
    """(the --database-url given, the draft's own arguments) when the command is `draft`, else None."""
    url, rest = None, list(argv)
    while rest and rest[0].startswith("--database-url"):
        option = rest.pop(0)
        if "=" in option:
            url = option.partition("=")[2]
        elif rest:
            url = rest.pop(0)
    return (url, rest[1:]) if rest and rest[0] == "draft" else None


def build_parser() -> argparse.ArgumentParser:
    from callcenter.asr.models import add_models_arguments
    from callcenter.asr.transcribe import add_transcribe_arguments
    from callcenter.auth.cli import add_user_arguments
    from callcenter.callbacks.cli import add_callbacks_arguments
    from callcenter.cli_args import iso_time
    from callcenter.enterprises.cli import add_draft_arguments, add_enterprises_arguments
    from callcenter.knowledge.cli import add_kb_arguments
    from callcenter.liaison.cli import add_liaison_arguments
    from callcenter.mailbox.cli import add_mail_arguments
    from callcenter.reports.cli import add_report_arguments
    from callcenter.sms.cli import add_faxes_arguments, add_sms_arguments
    from callcenter.wecom.cli import add_wecom_arguments
    from ivr import prompts

    p = argparse.ArgumentParser(prog="zhitong", description="Zhitong (直通) hotline service")
    p.add_argument("--database-url", help="overrides ZHITONG_DATABASE_URL")
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP service (migrates the database first)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--demo", action="store_true", help="load the demo units when none exist")
    serve.add_argument("--workers", type=int, default=int(os.environ.get("ZHITONG_WORKERS", "1")),
                       help="worker processes sharing the port (default: ZHITONG_WORKERS or 1)")

    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply Alembic migrations up to the newest")

    add_user_arguments(sub.add_parser("user", help="user accounts: add, passwd, edit, list, unlock, locks"))

    units = sub.add_parser("units", help="handling units").add_subparsers(dest="units_command", required=True)
    load = units.add_parser("load", help="load units from a JSON list or CSV (code,name,short_name)")
    load.add_argument("file", help="path, or 'demo' for Fucheng's 26 departments")
    units.add_parser("list", help="print the units as JSON lines")

    sla = sub.add_parser("sla", help="SLA calculations").add_subparsers(dest="sla_command", required=True)
    due = sla.add_parser("due", help='print {"due": ISO8601, "provisional": bool}')
    due.add_argument("--preset", help="preset name (default: ZHITONG_SLA_PRESET or yicheng-2021)")
    due.add_argument("--from", dest="start", type=iso_time, required=True, help="receipt time (no offset = Asia/Shanghai)")
    due.add_argument("--kind", required=True, help="time-limit kind of the preset, e.g. resolve")
    due.add_argument("--amount", type=int, help="for ranged limits such as mianyang general 3–15 days")

    demo = sub.add_parser("demo", help="serve with the simulated PBX: calls walk the IVR into draft orders")
    demo.add_argument("--host")
    demo.add_argument("--port", type=int)

    ami = sub.add_parser("ami", help="AMI tools").add_subparsers(dest="ami_command", required=True)
    replay = ami.add_parser("replay", help="print the call records of raw AMI byte streams as JSON lines")
    replay.add_argument("files", nargs="+", help="Asterisk's side of an AMI connection, e.g. NAME.rx.bin")
    replay.add_argument("--tz", help="zone of Cdr/CEL times (default: ZHITONG_PBX_TIMEZONE or UTC)")

    models = sub.add_parser("models", help="list the speech models found and verify their checksums")
    add_models_arguments(models)
    transcribe = sub.add_parser("transcribe", help="transcribe WAV files with the offline Vosk model")
    add_transcribe_arguments(transcribe)
    add_enterprises_arguments(sub.add_parser("enterprises", help="the enterprise directory (企业名录)"))
    add_callbacks_arguments(sub.add_parser("callbacks", help="satisfaction-callback jobs: list, run-due --at"))
    add_sms_arguments(sub.add_parser("sms", help="the SMS outbox: list, run-due"))
    add_wecom_arguments(sub.add_parser("wecom", help="WeCom: group robots, members' enterprises, the robot outbox"))
    add_liaison_arguments(sub.add_parser("liaison", help="liaison officers (帮扶专员): assign, contact, list"))
    add_faxes_arguments(sub.add_parser("faxes", help="received faxes: list, run"))
    add_mail_arguments(sub.add_parser("mail", help="the service mailbox: inbox, outbox, retry ID, poll"))
    add_kb_arguments(sub.add_parser("kb", help="the knowledge base (知识库): load FILE|demo, search QUERY"))
    add_report_arguments(sub.add_parser("report", help="a period's report: JSON, or --output x.csv/x.xlsx"))
    add_draft_arguments(sub.add_parser("draft", help="extract a draft work order from a transcript (or a file of them)"))

    prompts_cmd = sub.add_parser("prompts", help="IVR prompts").add_subparsers(dest="prompts_command", required=True)
    prompts.add_arguments(prompts_cmd.add_parser("build", help="render the menu prompts to 8 kHz WAV for Asterisk"))

    sup = sub.add_parser("supervise", help="run the yellow/red card sweep; prints cards and flags as JSON lines")
    sup.add_argument("--at", type=iso_time, help="as of this time (default: now)")
    return p


def ami_replay(files: Sequence[str], tz_name: str) -> int:
    from callcenter import admin
    from callcenter.calls.replay import CaptureUnreadable, NotAnAmiCapture, replay_files

    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise admin.AdminError(f"unknown time zone {tz_name!r}") from None
    paths = [Path(f) for f in files]
    for path in paths:
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise admin.AdminError(f"no such file: {path}") from None
        except OSError as exc:
            raise admin.AdminError(f"cannot read {path}: {exc.strerror or exc}") from None
        if not stat.S_ISREG(mode):
            raise admin.AdminError(f"not a regular file: {path}")
    try:
        count = replay_files(paths, sys.stdout, tz=tz)
    except (NotAnAmiCapture, CaptureUnreadable) as exc:
        raise admin.AdminError(str(exc)) from None
    if count == 0:  # AMI, but no call in it: say so rather than print nothing
        print("zhitong: no calls in the capture(s)", file=sys.stderr)
    return 0


def configure_logging() -> None:
    level = logging.getLevelName(os.environ.get("ZHITONG_LOG_LEVEL", "INFO").upper())
    level = level if isinstance(level, int) else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if level > logging.DEBUG:
        # Alembic logs each revision it applies, docstring and all, and two lines of context on
        # every command; `upgrade` says what changed in one line instead.
        logging.getLogger("alembic").setLevel(logging.WARNING)
    log_privacy.install()


def main(argv: Sequence[str] | None = None) -> int:
    configure_logging()
    argv = list(sys.argv[1:] if argv is None else argv)
    if (draft := _draft_argv(argv)) is not None:
        from callcenter.enterprises.cli import draft_main
        from callcenter.settings import DEFAULT_DATABASE_URL

        url = draft[0] or os.environ.get("ZHITONG_DATABASE_URL") or DEFAULT_DATABASE_URL
        return draft_main(draft[1], url)
    from callcenter import admin
    from callcenter.asr.models import models_command
    from callcenter.asr.transcribe import transcribe_command
    from callcenter.db.errors import StorageError
    from callcenter.settings import Settings, SettingsError
    from ivr import prompts
    from worksheet.errors import WorksheetError

    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        if args.database_url:
            settings = Settings(**{**settings.__dict__, "database_url": args.database_url})
        if args.command == "ami":
            return ami_replay(args.files, args.tz or settings.pbx_timezone)
        if args.command == "prompts":
            return prompts.prompts_build_command(args)
        if args.command == "models":
            return models_command(args)
        if args.command == "transcribe":
            return transcribe_command(args)
        if args.command == "demo":
            admin.serve(settings.for_demo(), host=args.host, port=args.port, demo=True)
            return 0
        if args.command == "serve":
            if args.workers < 1:
                raise admin.AdminError("--workers must be at least 1")
            admin.serve(settings.for_demo() if args.demo else settings, host=args.host, port=args.port,
                        demo=args.demo, workers=args.workers)
            return 0
        if args.command == "sla":
            print(json.dumps(admin.sla_due(settings, args.preset, args.start, args.kind, args.amount), ensure_ascii=False))
            return 0
        return asyncio.run(admin.run_async(settings, args))
    except (WorksheetError, StorageError, SettingsError, admin.AdminError) as exc:
        print(f"zhitong: error: {getattr(exc, 'detail', None) or exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
