"""`zhitong enterprises load FILE.csv` and `zhitong draft TEXT|FILE`, for callcenter/cli.py to wire in."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.enterprises.loader import DirectoryFileError, directory_from_csv
from callcenter.enterprises.service import directory_from_db, load_catalogue, load_enterprises
from worksheet.extract import EnterpriseDirectory, extract_draft
from worksheet.extract.types import FIELDS, DraftFields

ENV_DIRECTORY = "ZHITONG_ENTERPRISES"


def add_enterprises_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of the `enterprises` subcommand (the parser the lead creates with sub.add_parser)."""
    sub = parser.add_subparsers(dest="enterprises_command", required=True)
    load = sub.add_parser("load", help="load the enterprise directory (企业名录) CSV into the database",
                          description="Upserts by credit code, else by name. Header: name,unified_social_credit_code,"
                                      "contact_person,mobile,address,district (UTF-8, BOM allowed). Bad rows are "
                                      "skipped and reported with their line numbers; exit status 1 when any was.")
    load.add_argument("file", help="CSV path, or 'demo' for the packaged demo directory")


async def enterprises_load_command(args: argparse.Namespace, engine: AsyncEngine) -> int:
    from callcenter.enterprises.service import DEMO_DIRECTORY

    path = DEMO_DIRECTORY if args.file == "demo" else Path(args.file)
    try:
        report = await load_enterprises(engine, path)
    except DirectoryFileError as exc:
        print(f"zhitong: error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, ensure_ascii=False))
    return 1 if report["skipped"] else 0


def add_draft_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of the `draft` subcommand."""
    parser.description = (
        "Extract a DRAFT work order from a transcript. INPUT is one transcript, or the path of an existing "
        "file holding one transcript per line (or '-' for stdin): then one JSON object is printed per line, "
        "in order (an empty line gives an empty draft). The enterprise directory is the CSV of --directory, "
        f"else ${ENV_DIRECTORY}, else the one loaded in the database."
    )
    parser.add_argument("input", metavar="TEXT|FILE", help="a transcript, or a file of transcripts (one per line)")
    parser.add_argument("--json", action="store_true", help="print JSON for a single transcript (files always are)")
    parser.add_argument("--caller-id", help="the caller's number, used as contact phone when none is spoken")
    parser.add_argument("--directory", metavar="FILE.csv", help=f"enterprise directory CSV (default: ${ENV_DIRECTORY}, "
                                                                "else the database)")


async def _directory(args: argparse.Namespace, engine: AsyncEngine | None) -> EnterpriseDirectory | None:
    path = args.directory or os.environ.get(ENV_DIRECTORY, "").strip()
    if path:
        return directory_from_csv(path)
    if engine is None:
        return None
    try:
        return await directory_from_db(engine)
    except SQLAlchemyError as exc:
        print(f"zhitong: warning: no enterprise directory from the database ({type(exc).__name__}); "
              "run 'zhitong db upgrade' and 'zhitong enterprises load'", file=sys.stderr)
        return None


def _human(draft: DraftFields) -> str:
    if draft.empty:
        return "(no usable speech)"
    lines = []
    for name in FIELDS:
        value: Any = getattr(draft, name)
        shown = "-" if value.value is None else str(getattr(value.value, "value", value.value))
        sure = "" if value.value is None else ", confident" if name in draft.confident else ", suggestion"
        lines.append(f"{name:16} {shown}  ({value.confidence:.2f}{sure})")
    return "\n".join(lines)


def _is_file(text: str) -> bool:
    try:
        return Path(text).is_file()
    except (OSError, ValueError):  # a transcript too long for a file name, or with a NUL
        return False


async def draft_command(args: argparse.Namespace, engine_or_none: AsyncEngine | None) -> int:
    try:
        directory = await _directory(args, engine_or_none)
    except DirectoryFileError as exc:
        print(f"zhitong: error: {exc}", file=sys.stderr)
        return 2
    catalogue = load_catalogue()

    def draft(text: str) -> DraftFields:
        return extract_draft(text, directory=directory, catalogue=catalogue, caller_id=args.caller_id)

    source = args.input
    if source == "-" or _is_file(source):
        stream = sys.stdin if source == "-" else open(source, encoding="utf-8-sig")  # noqa: SIM115
        with stream:
            for line in stream:
                print(json.dumps(draft(line.rstrip("\r\n")).to_json(), ensure_ascii=False), flush=True)
        return 0
    result = draft(source)
    print(json.dumps(result.to_json(), ensure_ascii=False) if args.json else _human(result))
    return 0
