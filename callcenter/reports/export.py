"""CSV and XLSX files of a report, for the monthly bulletin (通报) and the assessment ledgers.

CSV is UTF-8 with a BOM: without it Excel on Chinese Windows reads the file as GBK and the headers
turn to mojibake. The CSV holds every table one after another under a 【title】 line; the workbook has
one sheet per table. Reports are aggregates, but any text cell that looks like a phone number is
masked anyway (unit names and labels come from data people type), and text that a spreadsheet would
run as a formula is quoted.
"""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Font

from callcenter.reports.metrics import Report
from callcenter.reports.rates import Rate, percent
from callcenter.reports.tables import Cell, tables
from callcenter.sms.privacy import mask_phone

CSV_TYPE = "text/csv"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_PHONE = re.compile(r"\+?\d[\d\s-]{5,}\d")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe_text(text: str) -> str:
    text = _PHONE.sub(lambda m: mask_phone(m.group(0)) if _looks_like_phone(m.group(0)) else m.group(0), text)
    return "'" + text if text.startswith(_FORMULA) else text


def _looks_like_phone(run: str) -> bool:
    """7+ digits in a run, and not an ISO date/time (2026-11-23 has 8 digits but is no number)."""
    return sum(ch.isdigit() for ch in run) >= 7 and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", run.strip())


def _csv_cell(value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, Rate):
        return percent(value)
    return safe_text(value) if isinstance(value, str) else value


def to_csv(report: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for i, table in enumerate(tables(report)):
        if i:
            writer.writerow([])
        writer.writerow([f"【{table.title}】"])
        writer.writerow(table.headers)
        writer.writerows([_csv_cell(v) for v in row] for row in table.rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(report: Report) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for table in tables(report):
        sheet = book.create_sheet(table.title)
        sheet.append(list(table.headers))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_xlsx_value(v) for v in row])
            for cell, value in zip(sheet[sheet.max_row], row, strict=True):
                if isinstance(value, Rate) and value.value is not None:
                    cell.number_format = "0.00%"
        sheet.freeze_panes = "A2"
        for column, header in zip(sheet.columns, table.headers, strict=True):
            width = max([len(header) * 2, *(len(str(c.value or "")) for c in column)])
            sheet.column_dimensions[column[0].column_letter].width = min(60, width + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_value(value: Cell) -> str | int | float | None:
    if isinstance(value, Rate):
        return "—" if value.denominator == 0 else value.numerator / value.denominator
    return safe_text(value) if isinstance(value, str) else value


def content_disposition(report: Report, extension: str) -> str:
    """An attachment name that survives every browser: an ASCII fallback plus RFC 5987 `filename*`."""
    ascii_name = f"zhitong-report-{report.period.key}.{extension}"
    chinese = f"直通统计报表_{report.period.label}.{extension}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(chinese, safe='')}"
