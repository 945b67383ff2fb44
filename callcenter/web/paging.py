"""Server-side paging for the pages' lists (?page=N, 1-based, one parameter per list on a page).

A page number that is not a number is a 400 with a Chinese explanation; 0 or less reads as the
first page, and one past the end redirects to the last (a bookmark outliving the orders it
listed still finds the list). Links keep every other query parameter (filters, the other
lists' pages), so paging one list never resets another.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from aiohttp import web

from callcenter.http.json_body import parse_int

T = TypeVar("T")
PAGE_SIZE = 20
MAX_PAGE = 1_000_000  # beyond any list; keeps the offset well inside every integer type


@dataclass(frozen=True)
class Pager:
    page: int
    size: int
    total: int
    path: str  # where the links go (a refreshed fragment's links lead to its page)
    params: tuple[tuple[str, str], ...]  # the request's query without this list's parameter
    param: str = "page"
    anchor: str = ""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    def url(self, page: int) -> str:
        params = [*self.params, *([(self.param, str(page))] if page > 1 else [])]
        return self.path + (f"?{urlencode(params)}" if params else "") + (f"#{self.anchor}" if self.anchor else "")

    @property
    def prev_url(self) -> str:
        return self.url(self.page - 1) if self.page > 1 else ""

    @property
    def next_url(self) -> str:
        return self.url(self.page + 1) if self.page < self.pages else ""


def requested_page(request: web.Request, param: str = "page") -> int:
    raw = request.query.get(param, "").strip()
    if not raw:
        return 1
    number = parse_int(raw, digits=12)
    if number is None:
        raise web.HTTPBadRequest(text="页码必须是数字，例如 ?page=2")
    return min(max(number, 1), MAX_PAGE)


async def paged(request: web.Request, fetch: Callable[[int, int], Awaitable[tuple[list[T], int]]], *,
                size: int = PAGE_SIZE, param: str = "page", path: str | None = None,
                anchor: str = "") -> tuple[list[T], Pager]:
    """One page of a list: ``fetch(limit, offset)`` returns the page's items and the total."""
    page = requested_page(request, param)
    items, total = await fetch(size, (page - 1) * size)
    params = tuple((k, v) for k, v in request.query.items() if k != param)
    pager = Pager(page, size, total, path or request.path, params, param, anchor)
    if page > pager.pages:  # past the end: the last page (a 303, so the address bar says which)
        raise web.HTTPSeeOther(pager.url(pager.pages))
    return items, pager
