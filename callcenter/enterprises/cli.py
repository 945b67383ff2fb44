"""`zhitong enterprises load FILE.csv` and `zhitong draft TEXT|FILE`, for callcenter/cli.py to wire in.

`zhitong draft` is a text command: it reads the directory (a CSV, or the database's table as it is) and
extracts. It never creates or migrates a database and needs none of the service, so callcenter/cli.py
runs it through `draft_main` before importing the rest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sqlite3
import sys
from contextlib import closing
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callcenter.enterprises.loader import DirectoryFileError, directory_from_csv
from callcenter.enterprises.service import directory_from_db, load_catalogue, load_enterprises
from worksheet.extract import DirectoryEntry, EnterpriseDirectory, extract_draft
from worksheet.extract.types import FIELDS, DraftFields

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

ENV_DIRECTORY = "ZHITONG_ENTERPRISES"
DB_READ_TIMEOUT_S = 10.0  # an unreachable database server: warn and go on without its directory


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
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return await asyncio.wait_for(directory_from_db(engine), DB_READ_TIMEOUT_S)
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
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


async def draft_command(args: argparse.Namespace, engine_or_none: AsyncEngine | None, *,
                        directory: EnterpriseDirectory | None = None) -> int:
    try:
        directory = directory or await _directory(args, engine_or_none)
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


_SQLITE_URL = re.compile(r"sqlite(?:\+\w+)?:///(?P<path>[^?]*)")


def _sqlite_directory(url: str) -> EnterpriseDirectory | None | bool:
    """The directory of a SQLite database file, read-only through the standard library (no engine,
    no pragmas, no file created); None when there is none to read; False when ``url`` is not SQLite."""
    m = _SQLITE_URL.fullmatch(url.partition("?")[0]) if url.startswith("sqlite") else None
    if m is None or not m.group("path") or m.group("path") == ":memory:":
        return False if m is None else None
    path = Path(m.group("path")).expanduser().resolve()
    if not path.is_file():
        print(f"zhitong: warning: no enterprise directory: no database at {path}; pass --directory FILE.csv "
              f"or set ${ENV_DIRECTORY}", file=sys.stderr)
        return None
    columns = [f.name for f in fields(DirectoryEntry)]
    try:
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            rows = db.execute(f"SELECT {', '.join(columns)} FROM enterprises ORDER BY name").fetchall()
    except sqlite3.Error as exc:
        print(f"zhitong: warning: no enterprise directory from the database ({exc}); "
              "run 'zhitong db upgrade' and 'zhitong enterprises load'", file=sys.stderr)
        return None
    return EnterpriseDirectory([DirectoryEntry(*row) for row in rows])


async def _draft_from(args: argparse.Namespace, database_url: str) -> int:
    if args.directory or os.environ.get(ENV_DIRECTORY, "").strip():
        return await draft_command(args, None)
    if (directory := _sqlite_directory(database_url)) is not False:
        return await draft_command(args, None, directory=directory or None)
    from callcenter.db.engine import create_engine  # PostgreSQL: read through the service's engine

    engine = create_engine(database_url)
    try:
        return await draft_command(args, engine)
    finally:
        await engine.dispose()


def draft_main(argv: list[str], database_url: str) -> int:
    """`zhitong draft …` on its own: ``argv`` are the subcommand's arguments."""
    parser = argparse.ArgumentParser(prog="zhitong draft")
    add_draft_arguments(parser)
    return asyncio.run(_draft_from(parser.parse_args(argv), database_url))
