"""`zhitong report`: a period's report as JSON on stdout, or written as CSV/XLSX for a bulletin."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from callcenter.reports import export
from callcenter.reports.periods import PeriodKind
from callcenter.reports.service import ReportService
from worksheet.errors import ValidationError


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of the `report` subcommand (the parser the lead creates with sub.add_parser)."""
    parser.add_argument("--period", choices=[k.value for k in PeriodKind], default="month")
    parser.add_argument("--date", help="2026-11-23, 2026-W48, 2026-11 or 2026-Q4 (default: today)")
    parser.add_argument("--output", help="write CSV or XLSX here (by its suffix) instead of JSON on stdout")


async def report_command(args: argparse.Namespace, services: Any) -> int:
    """`services` is the application's Services (engine, policy, clock)."""
    service = ReportService(services.engine, services.policy, services.clock)
    report = await service.report(service.period(args.period, args.date))
    if not args.output:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return 0
    path = Path(args.output)
    if path.suffix.lower() not in (".csv", ".xlsx"):
        raise ValidationError(f"--output must end in .csv or .xlsx, got {path.name!r}")
    path.write_bytes(export.to_csv(report) if path.suffix.lower() == ".csv" else export.to_xlsx(report))
    print(json.dumps({"written": str(path), "period": report.period.key}, ensure_ascii=False))
    return 0
