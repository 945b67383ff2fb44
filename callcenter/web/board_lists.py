"""The supervisor board's lists beside the orders: inbound SMS the system could not process, callback
surveys nobody answered, SMS it could not deliver and faxes it could not receive. Each is paged on
its own like the board's order lists, with its true total."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from callcenter.keys import CALLBACKS, FAXES, SMS, SMS_INBOUND
from callcenter.sms.inbox import DEAD_LETTER

from . import labels
from .paging import Pager, paged

T = TypeVar("T")
BOARD_PAGE = 10  # the board shows many lists at once: short pages
SMS_PROBLEMS = ("failed", "rejected", "undelivered", "unknown")  # outbox states a person should look at
FAX_PROBLEMS = ("failed", "error")
Fetch = Callable[[int, int], Awaitable[tuple[list[Any], int]]]


def board_page(request: web.Request, key: str, fetch: Callable[[int, int], Awaitable[tuple[list[T], int]]]
               ) -> Awaitable[tuple[list[T], Pager]]:
    """One list of the board (section id ``key``), paged by ?<key>_page=N so paging one keeps the others."""
    return paged(request, fetch, size=BOARD_PAGE, param=f"{key.replace('-', '_')}_page", path="/supervisor",
                 anchor=key)


def _listing(rows: Callable[..., Awaitable[list[Any]]], count: Callable[..., Awaitable[int]], **where: Any) -> Fetch:
    async def fetch(limit: int, offset: int) -> tuple[list[Any], int]:
        return await rows(limit=limit, offset=offset, **where), await count(**where)
    return fetch


async def problem_lists(request: web.Request) -> dict[str, dict[str, Any]]:
    """{"dead_sms" | "unreachable" | "sms_problems" | "fax_problems": {"rows": page, "pager": pager}}."""
    inbound, outbox, receipts = request.app[SMS_INBOUND], request.app[SMS].outbox, request.app[FAXES].receipts
    callbacks = request.app[CALLBACKS].repo
    fetches = {"dead-sms": _listing(inbound.list, inbound.count, outcome=DEAD_LETTER),
               "unreachable": _listing(callbacks.list, callbacks.count, status="unreachable"),
               "sms-problems": _listing(outbox.list, outbox.count, status=SMS_PROBLEMS),
               "fax-problems": _listing(receipts.list, receipts.count, status=FAX_PROBLEMS)}
    lists = {}
    for key, fetch in fetches.items():
        items, pager = await board_page(request, key, fetch)
        lists[key.replace("-", "_")] = {"rows": items, "pager": pager}
    for m in lists["dead_sms"]["rows"]:
        m["reason"] = labels.SMS_FAILURE.get(str(m["last_error"] or "").split(":")[0], "系统处理出错（已记录日志）")
    return lists
