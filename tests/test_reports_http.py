"""The report routes on the real app (tests.api_helpers.start_api)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import pytest
from api_helpers import ORDER, Api, start_api
from openpyxl import load_workbook


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[Api]:
    async for api in start_api(db_url):
        yield api


async def _one_dispatched_order(api: Api) -> str:
    status, order = await api.call("agent", "POST", "/api/v1/orders", ORDER)
    assert status == 201, order
    await api.act("agent", order["number"], "dispatch", {"lead_unit": api.units["区住建局"]})
    return str(order["number"])


async def get(api: Api, who: str, path: str) -> Any:
    return await api.client.get(path, headers=api.auth(who))


async def test_json_report_for_supervisors_and_admins(api: Api) -> None:
    await _one_dispatched_order(api)  # 2026-11-23 09:00 (the fake clock)
    for who in ("boss", "admin"):
        status, body = await api.call(who, "GET", "/api/v1/reports?period=week&date=2026-11-23")
        assert status == 200, body
        assert body["period"]["label"] == "2026年第48周 (11月23日–11月29日)"
        assert body["received"]["total"] == 1 and body["rates"]["return_rate"]["denominator"] == 1
        assert body["ranking"]["units"][0]["name"] == "区住建局"
    status, body = await api.call("boss", "GET", "/api/v1/reports")  # default: this month
    assert status == 200 and body["period"]["key"] == "2026-11"


async def test_unit_handlers_and_agents_are_forbidden(api: Api) -> None:
    for who in ("zjj", "agent"):
        status, body = await api.call(who, "GET", "/api/v1/reports?period=month&date=2026-11")
        assert status == 403 and body["error_id"] == "forbidden"
    resp = await get(api, "zjj", "/api/v1/reports/export.xlsx?period=month&date=2026-11")
    assert resp.status == 403


async def test_a_bad_period_is_422(api: Api) -> None:
    status, body = await api.call("boss", "GET", "/api/v1/reports?period=month&date=2026-13")
    assert status == 422 and body["error_id"] == "validation-failed" and "2026-13" in body["detail"]
    status, body = await api.call("boss", "GET", "/api/v1/reports/export.csv?period=fortnight")
    assert status == 422 and "统计周期“fortnight”无法识别" in body["detail"]
    status, body = await api.call("boss", "GET", "/api/v1/reports?period=quarter&date=2026-12")
    assert status == 200 and body["period"]["key"] == "2026-Q4"  # a mismatched date is normalised, not refused


async def test_csv_and_xlsx_downloads(api: Api) -> None:
    await _one_dispatched_order(api)
    resp = await get(api, "boss", "/api/v1/reports/export.csv?period=month&date=2026-11")
    assert resp.status == 200 and resp.content_type == "text/csv"
    disposition = resp.headers["Content-Disposition"]
    assert 'filename="zhitong-report-2026-11.csv"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "直通统计报表_2026年11月.csv"
    body = await resp.read()
    assert body.startswith(b"\xef\xbb\xbf") and "13800138000" not in body.decode("utf-8-sig")
    assert "受理工单,,,1" in body.decode("utf-8-sig")
    resp = await get(api, "admin", "/api/v1/reports/export.xlsx?period=quarter&date=2026-Q4")
    assert resp.status == 200 and resp.content_type.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(await resp.read()))
    assert book["汇总"]["D2"].value == "2026年第4季度" and book["单位排名"]["C2"].value == "区住建局"
