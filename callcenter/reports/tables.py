"""A report laid out as named tables with Chinese headers: what both the CSV and the XLSX show.

One layout for both formats, so a CSV and a workbook of the same report never disagree. Cells stay
typed (a `Rate` is rendered by each writer: a percent string in CSV, a percent-formatted number in
XLSX) so spreadsheet users can compute with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from callcenter.reports.labels import CARDS
from callcenter.reports.metrics import Report
from callcenter.reports.rates import Rate

Cell = str | int | float | Rate | None


@dataclass(frozen=True, slots=True)
class Table:
    title: str  # sheet name (≤ 31 characters for Excel)
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


_EVENTS = (("dispatched", "派单"), ("returned", "退单"), ("extension_requests", "延期申请"), ("replied", "答复"),
           ("closed", "办结"), ("rated", "回访评价"), ("satisfied", "满意及基本满意"),
           ("yellow_cards", CARDS["yellow"]), ("red_cards", CARDS["red"]))
_CALLS = (("inbound_voice", "呼入语音来电"), ("queued", "转人工来电"), ("answered", "人工接听"),
          ("abandoned", "排队放弃"), ("unanswered", "未接通"), ("ivr_only", "IVR自助服务"),
          ("fax", "传真来电"), ("outbound", "外呼(回访)"), ("in_progress", "进行中"))
RANKING_HEADERS = ("排名", "单位编码", "承办单位", "得分", "派单", "退单", "退单率", "延期申请", "答复",
                   "办结(计时)", "按时办结", "按时办结率", "回访评价", "满意", "满意率", CARDS["yellow"], CARDS["red"])


def summary(report: Report) -> Table:
    p = report.period
    rows: list[tuple[Cell, ...]] = [
        ("统计周期", None, None, p.label),
        ("起始时间", None, None, p.start.isoformat()),
        ("截止时间(不含)", None, None, p.end.isoformat()),
        ("生成时间", None, None, report.generated_at.isoformat()),
        ("受理工单", None, None, report.received.total),
    ]
    rows += [(r.label, r.rate.numerator, r.rate.denominator, r.rate) for r in report.rates]
    events = report.totals.to_json()
    rows += [(label, None, None, events[key]) for key, label in _EVENTS]
    calls = report.calls.to_json()
    rows += [(label, None, None, calls[key]) for key, label in _CALLS]
    return Table("汇总", ("项目", "分子", "分母", "数值"), tuple(rows))


def breakdowns(report: Report) -> list[Table]:
    data = report.received.to_json(report.unit_names)
    return [
        Table("按渠道", ("渠道", "受理工单"), tuple((d["label"], d["count"]) for d in data["by_channel"])),
        Table("按类别", ("诉求类别", "受理工单"), tuple((d["label"], d["count"]) for d in data["by_category"])),
        Table("按承办单位", ("承办单位", "受理工单"), tuple((d["label"], d["count"]) for d in data["by_unit"])),
    ]


def ranking(report: Report) -> Table:
    rows = tuple(
        (u.rank, u.unit, u.name, u.score, u.tally.dispatched, u.tally.returned, u.returns,
         u.tally.extension_requests, u.tally.replied, u.tally.judged, u.tally.on_time, u.on_time,
         u.tally.rated, u.tally.satisfied, u.satisfaction, u.tally.yellow_cards, u.tally.red_cards)
        for u in report.ranking)
    return Table("单位排名", RANKING_HEADERS, rows)


def tables(report: Report) -> list[Table]:
    return [summary(report), *breakdowns(report), ranking(report)]
