"""The unit handler's inbox (单位待办) and the supervisor's board (督办台)."""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import replace
from typing import Any

from aiohttp import web

from callcenter.http.json_body import path_int
from callcenter.keys import AUDIT, CLOCK, ORDERS, POLICY, SMS, SMS_INBOUND, SUPERVISION
from callcenter.orders import schemas
from callcenter.orders.services import SearchQuery
from worksheet.model import Role, Status, WorkOrder
from worksheet.supervision import SHANGHAI

from .board_lists import board_page, problem_lists
from .paging import Pager, paged
from .render import render
from .session import web_actor
from .views_orders import unit_names

routes = web.RouteTableDef()
INBOX = [Status.DISPATCHED, Status.HANDLING, Status.EXTENSION_REQUESTED]
BOARD = {  # section → (title, statuses)
    "returned": ("待重新派单（已退回）", [Status.RETURNED]),
    "extensions": ("延期申请待审批", [Status.EXTENSION_REQUESTED]),
    "replied": ("答复待审核", [Status.REPLIED]),
    "review": ("两次不满意待复核", [Status.UNDER_REVIEW]),
    "registered": ("已登记待派单", [Status.REGISTERED]),
}


def _views(request: web.Request, orders: list[WorkOrder]) -> list[dict[str, Any]]:
    actor, now, policy = web_actor(request), request.app[CLOCK](), request.app[POLICY]
    return [schemas.order_view(o, policy, now, actor, full=False) for o in orders]


async def _inbox(request: web.Request) -> tuple[list[dict[str, Any]], Pager]:
    """The unit's open orders, soonest deadline first, a page at a time."""
    actor = web_actor(request, Role.UNIT_HANDLER)

    def fetch(limit: int, offset: int) -> Awaitable[tuple[list[WorkOrder], int]]:
        return request.app[ORDERS].search(SearchQuery(status=[s.value for s in INBOX], unit=actor.unit,
                                                      by_deadline=True, limit=limit, offset=offset), actor)

    orders, pager = await paged(request, fetch, path="/unit")
    return _views(request, orders), pager


@routes.get("/unit")
async def inbox(request: web.Request) -> web.Response:
    views, pager = await _inbox(request)
    return render(request, "unit.html", orders=views, total=pager.total, pager=pager,
                  unit_names=await unit_names(request))


@routes.get("/unit/rows")
async def inbox_rows(request: web.Request) -> web.Response:
    """The inbox table alone: the page's script swaps it in when an order changes."""
    views, _ = await _inbox(request)
    return render(request, "order_rows.html", rows=views, empty="暂无待办工单。", unit_names=await unit_names(request))


async def _section(request: web.Request, key: str, query: SearchQuery) -> tuple[list[dict[str, Any]], Pager]:
    """One list of the board, paged on its own (?<key>_page=N) so paging one keeps the others."""
    actor = web_actor(request, Role.SUPERVISOR)

    def fetch(limit: int, offset: int) -> Awaitable[tuple[list[WorkOrder], int]]:
        return request.app[ORDERS].search(replace(query, limit=limit, offset=offset), actor)

    orders, pager = await board_page(request, key, fetch)
    return _views(request, orders), pager


@routes.get("/supervisor")
async def board(request: web.Request) -> web.Response:
    web_actor(request, Role.SUPERVISOR)
    sections = []
    for key, (title, statuses) in BOARD.items():
        views, pager = await _section(request, key, SearchQuery(status=[s.value for s in statuses]))
        sections.append({"key": key, "title": title, "orders": views, "total": pager.total, "pager": pager})
    overdue, overdue_pager = await _section(request, "overdue", SearchQuery(overdue=True))
    red, red_pager = await _section(request, "red", SearchQuery(card="red"))
    yellow, yellow_pager = await _section(request, "yellow", SearchQuery(card="yellow"))
    month = request.app[CLOCK]().astimezone(SHANGHAI).strftime("%Y-%m")
    cards, flags = await request.app[SUPERVISION].month(month)
    per_unit: dict[str, dict[str, int]] = {}
    for card in cards:
        per_unit.setdefault(card.unit, {"yellow": 0, "red": 0})[card.color.value] += 1
    return render(request, "supervisor.html", sections=sections, **await problem_lists(request),
                  requeued=request.query.get("requeued"),
                  overdue=overdue, overdue_total=overdue_pager.total, overdue_pager=overdue_pager,
                  red=red, red_total=red_pager.total, red_pager=red_pager,
                  yellow=yellow, yellow_total=yellow_pager.total, yellow_pager=yellow_pager,
                  month=month, per_unit=sorted(per_unit.items()), flags=flags,
                  unit_names=await unit_names(request),
                  swept=request.query.get("swept"))


@routes.post("/supervisor/sms-inbound/{id}/retry")
async def retry_sms(request: web.Request) -> web.Response:
    """Send an inbound SMS whose attempts ran out back for processing (audited, like the API's)."""
    actor = web_actor(request, Role.SUPERVISOR)
    row_id, now = path_int(request, "id"), request.app[CLOCK]()
    row = await request.app[SMS_INBOUND].requeue(row_id, now) if row_id is not None else None
    if row is None:
        raise web.HTTPNotFound(text="没有这条待处理的短信，或它已在重新处理")
    await request.app[AUDIT].record(actor, "sms-requeue", f"sms:{row['message_sid']}", now)
    request.app[SMS].wakeup.set()
    raise web.HTTPSeeOther("/supervisor?requeued=1#dead-sms")


@routes.post("/supervisor/sweep")
async def sweep(request: web.Request) -> web.Response:
    """Run the card sweep now (it also runs by itself every few minutes)."""
    web_actor(request, Role.SUPERVISOR)
    report = await request.app[SUPERVISION].run()
    raise web.HTTPSeeOther(f"/supervisor?swept={len(report.cards)}")
