"""The typed application key of the report service, so the composition root adds one line."""

from __future__ import annotations

from aiohttp import web

from callcenter.reports.service import ReportService

REPORTS = web.AppKey("reports", ReportService)
