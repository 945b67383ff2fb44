"""CSV (UTF-8 with BOM) and XLSX exports of a report: Chinese headers, typed cells, masked numbers."""

from __future__ import annotations

import csv
import io
from urllib.parse import unquote

from domain_helpers import at
from openpyxl import load_workbook
from test_reports_metrics import CALLS, NOVEMBER, POLICY, orders

from callcenter.reports.export import content_disposition, safe_text, to_csv, to_xlsx
from callcenter.reports.metrics import build_report

REPORT = build_report(orders(), CALLS, POLICY, NOVEMBER, generated_at=at("2026-12-01T08:00"),
                      unit_names={"zjj": "区住建局", "jtj": "区交通运输局 13800138000"})


def test_csv_has_a_bom_and_every_table() -> None:
    data = to_csv(REPORT)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    titles = [r[0] for r in rows if r and r[0].startswith("【")]
    assert titles == ["【汇总】", "【按渠道】", "【按类别】", "【按承办单位】", "【单位排名】"]
    assert ["接通率", "2", "4", "50.00%"] in rows and ["按时办结率", "2", "4", "50.00%"] in rows
    assert ["统计周期", "", "", "2026年11月"] in rows and ["受理工单", "", "", "5"] in rows
    assert ["热线电话", "2"] in rows and ["未派单", "1"] in rows
    assert "13800138000" not in data.decode("utf-8-sig") and "区交通运输局 138****8000" in data.decode("utf-8-sig")


def test_xlsx_sheets_and_cells() -> None:
    book = load_workbook(io.BytesIO(to_xlsx(REPORT)))
    assert book.sheetnames == ["汇总", "按渠道", "按类别", "按承办单位", "单位排名"]
    summary = {row[0]: row[1:] for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["满意率"] == (4, 5, 0.8) and summary["退单率"] == (1, 5, 0.2)
    assert summary["统计周期"] == (None, None, "2026年11月")
    assert book["汇总"]["D7"].number_format == "0.00%"
    ranking = book["单位排名"]
    assert [c.value for c in ranking[1]][:4] == ["排名", "单位编码", "承办单位", "得分"]
    assert [c.value for c in ranking[2]][:4] == [1, "zjj", "区住建局", 73.33]
    assert [c.value for c in ranking[3]][:3] == [2, "jtj", "区交通运输局 138****8000"]


def test_empty_rates_show_a_dash() -> None:
    empty = build_report([], [], POLICY, NOVEMBER, generated_at=at("2026-12-01T08:00"))
    book = load_workbook(io.BytesIO(to_xlsx(empty)))
    summary = {row[0]: row[1:] for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert summary["接通率"] == (0, 0, "—")
    assert ["接通率", "0", "0", "—"] in list(csv.reader(io.StringIO(to_csv(empty).decode("utf-8-sig"))))


def test_safe_text_and_filename() -> None:
    assert safe_text("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert safe_text("2026-11-01T00:00:00+08:00") == "2026-11-01T00:00:00+08:00"
    header = content_disposition(REPORT, "xlsx")
    assert header.startswith('attachment; filename="zhitong-report-2026-11.xlsx"; filename*=UTF-8\'\'')
    assert unquote(header.split("''", 1)[1]) == "直通统计报表_2026年11月.xlsx"
