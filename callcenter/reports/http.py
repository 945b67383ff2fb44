"""HTTP routes for reports: JSON for the UI, CSV/XLSX downloads for bulletins. Supervisors and admins.

`period` (day | week | month | quarter | year, default month) and `date` (see periods.parse_period;
default today) pick the period; a date naming another kind of period is normalised, an unreadable
one is a 422 naming the accepted forms.
"""

from __future__ import annotations

from aiohttp import web

from callcenter.auth.http import require_roles
from callcenter.http.json_body import json_response
from callcenter.reports import export
from callcenter.reports.keys import REPORTS
from callcenter.reports.metrics import Report
from worksheet.model import Role

routes = web.RouteTableDef()
_READERS = (Role.SUPERVISOR, Role.ADMIN)


async def _report(request: web.Request) -> Report:
    require_roles(request, *_READERS)
    service = request.app[REPORTS]
    period = service.period(request.query.get("period"), request.query.get("date"))
    return await service.report(period)


@routes.get("/api/v1/reports")
async def get_report(request: web.Request) -> web.Response:
    return json_response((await _report(request)).to_json())


@routes.get("/api/v1/reports/export.csv")
async def export_csv(request: web.Request) -> web.Response:
    report = await _report(request)
    return web.Response(body=export.to_csv(report), content_type=export.CSV_TYPE, charset="utf-8",
                        headers={"Content-Disposition": export.content_disposition(report, "csv")})


@routes.get("/api/v1/reports/export.xlsx")
async def export_xlsx(request: web.Request) -> web.Response:
    report = await _report(request)
    return web.Response(body=export.to_xlsx(report), content_type=export.XLSX_TYPE,
                        headers={"Content-Disposition": export.content_disposition(report, "xlsx")})
