"""`zhitong kb load FILE|demo` and `zhitong kb search QUERY`, for callcenter/cli.py to wire in.

Loading upserts by title, so the same file can be re-applied after editing it: unchanged articles
are left alone (no version bump), changed ones are updated, new ones are added.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.knowledge.model import merged, validate
from callcenter.knowledge.service import MAX_LIMIT, KnowledgeService
from worksheet.errors import ValidationError

DEMO_FILE = Path(__file__).resolve().parent.parent / "data" / "kb_demo.json"
CLI_USER = "cli"


def add_kb_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of the `kb` subcommand (the parser the lead creates with sub.add_parser)."""
    sub = parser.add_subparsers(dest="kb_command", required=True)
    load = sub.add_parser("load", help="upsert knowledge-base articles (by title) from a JSON file",
                          description="FILE is a JSON list of articles (title, body, category, keywords, "
                                      "unit, status) or an object with an 'articles' list. Prints a JSON "
                                      "report; exit status 1 when any article was skipped.")
    load.add_argument("file", help="JSON path, or 'demo' for the packaged demo articles")
    search = sub.add_parser("search", help="search the published articles; prints JSON lines, best first")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=5, help=f"at most this many (1–{MAX_LIMIT}, default 5)")


def _service(target: Any) -> KnowledgeService:
    """Accepts a KnowledgeService, an object with `.knowledge` (the application's services), an
    object with `.engine`, or an AsyncEngine."""
    if isinstance(target, KnowledgeService):
        return target
    service = getattr(target, "knowledge", None)
    if isinstance(service, KnowledgeService):
        return service
    engine = target if isinstance(target, AsyncEngine) else getattr(target, "engine", None)
    if not isinstance(engine, AsyncEngine):
        raise TypeError(f"kb_command needs services or an engine, got {type(target).__name__}")
    return KnowledgeService(engine, lambda: datetime.now(ZoneInfo("Asia/Shanghai")))


def read_articles(path: Path) -> list[Any]:
    with open(path, encoding="utf-8-sig") as f:
        data = json.load(f)
    articles = data.get("articles") if isinstance(data, dict) else data
    if not isinstance(articles, list):
        raise ValueError("expected a JSON list of articles, or an object with an 'articles' list")
    return articles


async def load_articles(service: KnowledgeService, path: Path) -> dict[str, Any]:
    report: dict[str, Any] = {"file": str(path), "inserted": 0, "updated": 0, "unchanged": 0, "errors": []}
    for n, item in enumerate(read_articles(path), start=1):
        try:
            if not isinstance(item, dict):
                raise ValidationError("an article must be a JSON object")
            fields = validate(item)
            current = await service.repo.find_by_title(fields.title)
            if current is None:
                await service.create(item, by=CLI_USER)
                report["inserted"] += 1
            elif validate(merged(current, item)) == validate(merged(current, {})):
                report["unchanged"] += 1
            else:
                await service.update(current.id, item, expected_version=current.version, by=CLI_USER)
                report["updated"] += 1
        except ValidationError as exc:
            report["errors"].append({"index": n, "title": str(item.get("title", ""))[:200]
                                     if isinstance(item, dict) else "", "reason": exc.detail})
    report["skipped"] = len(report["errors"])
    return report


async def kb_command(args: argparse.Namespace, services_or_engine: Any) -> int:
    service = _service(services_or_engine)
    if args.kb_command == "load":
        path = DEMO_FILE if args.file == "demo" else Path(args.file)
        try:
            report = await load_articles(service, path)
        except (OSError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
            print(f"zhitong: error: cannot load {path}: {exc}", file=sys.stderr)
            return 2
        print(json.dumps(report, ensure_ascii=False))
        return 1 if report["skipped"] else 0
    if args.kb_command == "search":
        for found in await service.search(args.query, args.limit):
            a, hit = found.article, found.hit
            print(json.dumps({"id": a.id, "title": a.title, "category": a.category, "score": round(hit.score, 4),
                              "terms": list(hit.terms), "unit": a.unit}, ensure_ascii=False))
        return 0
    raise ValueError(f"unknown kb command {args.kb_command!r}")
