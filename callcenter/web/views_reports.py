"""The reports page (统计报表): the API's report rendered, charts as inline SVG, downloads."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callcenter.reports import export
from callcenter.reports.keys import REPORTS
from callcenter.reports.liaisons import LABELS as LIAISON_LABELS
from callcenter.reports.metrics import Report
from callcenter.reports.periods import KIND_NAMES
from worksheet.errors import ValidationError
from worksheet.model import Role

from . import labels
from .messages import user_message
from .render import render
from .session import web_actor

routes = web.RouteTableDef()
KINDS = tuple((k.value, name) for k, name in KIND_NAMES.items())


def bars(rows: list[dict[str, Any]], *, width: int = 420, row_h: int = 22) -> dict[str, Any]:
    """Geometry of a horizontal bar chart (drawn by the template as SVG, so no script is needed)."""
    top = max((int(r["count"]) for r in rows), default=0) or 1
    label_w = 110
    return {"width": width, "height": row_h * max(len(rows), 1), "bars": [
        {"y": i * row_h, "label": r["label"], "count": r["count"], "label_w": label_w,
         "w": round((width - label_w - 40) * int(r["count"]) / top, 1)} for i, r in enumerate(rows)]}


async def _report(request: web.Request) -> Report:
    web_actor(request, Role.SUPERVISOR)
    service = request.app[REPORTS]
    return await service.report(service.period(request.query.get("period"), request.query.get("date")))


@routes.get("/reports")
async def page(request: web.Request) -> web.Response:
    try:
        report = await _report(request)
    except ValidationError as exc:
        # The form again, with what was typed and why it was refused (the period is kept as chosen).
        typed = {"kind": request.query.get("period", ""), "key": request.query.get("date", "")}
        return render(request, "reports.html", status=422, error=user_message(exc), report=None, period=typed,
                      kinds=KINDS)
    data = report.to_json()
    received = data["received"]
    top_units = sorted(received["by_unit"], key=lambda u: -int(u["count"]))[:15]
    charts = {"channel": bars(received["by_channel"]), "category": bars(received["by_category"]),
              "unit": bars(top_units)}
    liaisons = await request.app[REPORTS].liaisons(report.period)
    return render(request, "reports.html", report=data, period=data["period"], charts=charts, kinds=KINDS,
                  definitions=labels.RATE_DEFINITION, liaisons=liaisons, liaison_labels=LIAISON_LABELS)


@routes.get("/reports/export.{ext:csv|xlsx}")
async def download(request: web.Request) -> web.Response:
    report = await _report(request)
    ext = request.match_info["ext"]
    body, kind = (export.to_csv(report), export.CSV_TYPE) if ext == "csv" else (export.to_xlsx(report), export.XLSX_TYPE)
    return web.Response(body=body, content_type=kind,
                        headers={"Content-Disposition": export.content_disposition(report, ext)})
