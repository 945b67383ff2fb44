"""What a report counts as accepted (受理), and that the page's JSON, the CSV and the workbook say the
same numbers in the same words — on SQLite and PostgreSQL (the `stack` of test_reports_service)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import load_workbook
from test_reports_service import AGENT, BOSS, NOVEMBER, ZJJ, Stack, stack  # noqa: F401 (stack: the fixture)

from callcenter.reports import export
from callcenter.reports.labels import CARDS
from callcenter.reports.service import ReportService
from worksheet import commands as c
from worksheet.intake import NewOrder
from worksheet.model import Actor, CardColor, Category, Channel, Enterprise, Role

SWEEPER = Actor("supervision-sweep", Role.SYSTEM)
ROOT = Path(__file__).resolve().parent.parent


async def draft(s: Stack, when: str) -> str:
    s.clock.now = s.clock.now.fromisoformat(f"{when}:00+08:00")
    spec = NewOrder(channel=Channel.SMS, category=Category.CONSULTATION, enterprise=Enterprise(""),
                    subject="", content="", received_at=s.clock.now, draft=True)
    return (await s.services.orders.create(spec, AGENT)).number


async def month_with_a_discarded_draft(s: Stack) -> None:
    """November: one accepted order (dispatched, carded yellow), one discarded draft, one pending draft."""
    accepted = await s.new("2026-11-02T09:00")
    await s.act(accepted, "2026-11-02T10:00", c.Dispatch(actor=AGENT, lead_unit="zjj"))
    await s.act(accepted, "2026-11-02T10:05", c.Accept(actor=ZJJ))
    await s.act(accepted, "2026-11-20T10:00", c.IssueCard(actor=SWEEPER, color=CardColor.YELLOW, clock="handling",
                                                          cycle=0, note="黄灯督办"))
    spam = await draft(s, "2026-11-03T09:00")
    await s.act(spam, "2026-11-03T09:10", c.Discard(actor=AGENT, reason="广告短信"))
    await draft(s, "2026-11-04T09:00")


def csv_summary(body: bytes) -> dict[str, str]:
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    end = rows.index([])
    return {r[0]: r[3] for r in rows[2:end]}


async def test_discarded_drafts_are_not_accepted_orders_in_any_format(stack: Stack) -> None:  # noqa: F811
    await month_with_a_discarded_draft(stack)
    report = await ReportService(stack.services.engine, stack.services.policy, stack.clock).report(NOVEMBER)
    data = report.to_json()
    received = data["received"]
    assert received["total"] == 1
    assert sum(r["count"] for r in received["by_channel"]) == 1  # the two SMS drafts are in no channel
    assert sum(r["count"] for r in received["by_category"]) == 1
    assert data["rates"]["duplicate_order_rate"]["denominator"] == 1

    summary = csv_summary(export.to_csv(report))
    assert summary["受理工单"] == "1"
    assert summary["生成时间"] == data["generated_at"] and data["generated_at"].endswith("+08:00")
    assert summary[CARDS["yellow"]] == "1" and summary[CARDS["red"]] == "0"
    book = load_workbook(io.BytesIO(export.to_xlsx(report)))
    sheet = {row[0]: row[3] for row in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert sheet["受理工单"] == 1 and sheet["黄灯"] == 1
    assert [r[1] for r in book["按渠道"].iter_rows(min_row=2, values_only=True)] == \
        [r["count"] for r in received["by_channel"]]
    ranking = [c.value for c in book["单位排名"][1]]
    assert ranking[-2:] == ["黄灯", "红灯"]
    row = next(book["单位排名"].iter_rows(min_row=2, values_only=True))
    assert row[-2:] == (data["ranking"]["units"][0]["yellow_cards"], 0) == (1, 0)


def test_one_word_for_the_cards_everywhere() -> None:
    """RULES.md §5 says 红黄灯: no page, export, SMS template or note may call them 牌 (cards)."""
    assert CARDS == {"yellow": "黄灯", "red": "红灯"}
    offenders = [str(p.relative_to(ROOT)) for folder in ("callcenter", "worksheet", "ivr")
                 for p in (ROOT / folder).rglob("*") if p.suffix in {".py", ".html", ".json", ".js", ".toml", ".txt"}
                 and any(w in p.read_text(encoding="utf-8", errors="replace") for w in ("黄牌", "红牌", "黄卡", "红卡"))]
    assert offenders == []
