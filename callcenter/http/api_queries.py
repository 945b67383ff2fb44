"""The query parameters of each API list and report, declared once (see query_params) from the
constants the handlers validate against; openapi.py puts them in the document."""

from __future__ import annotations

from callcenter.fax.receipts import STATUSES as FAX_STATUSES
from callcenter.knowledge.model import STATUSES as ARTICLE_STATUSES
from callcenter.knowledge.service import MAX_LIMIT as KB_SEARCH_LIMIT
from callcenter.reports.periods import PeriodKind
from callcenter.sms.inbox import OUTCOMES
from callcenter.sms.outbox import STATUSES as SMS_STATUSES
from worksheet.model import CardColor, Category, Channel, Status

from .query_params import QueryParam, boolean, choice, date_time, free_text, integer, page, pattern


def query(params: tuple[QueryParam, ...]) -> list[dict[str, object]]:
    return [p.to_openapi() for p in params]


_ORDER_NUMBER = free_text("order_number", "only what belongs to this order",
                          why="an order number, matched exactly (an unknown one finds nothing)",
                          example="20261123-0001")

ORDERS: tuple[QueryParam, ...] = (
    choice("status", Status, "orders in any of these states", many=True),
    free_text("unit", "orders whose lead unit is this unit code",
              why="a unit code from GET /api/v1/units: data of the deployment, not a fixed list", example="zjj"),
    choice("category", Category, "the enterprise's kind of request"),
    choice("channel", Channel, "how the request came in"),
    boolean("overdue", "only orders past (true) or within (false) their handling deadline"),
    choice("card", CardColor, "orders carrying a card of this colour in their current cycle"),
    free_text("q", "words in the number, subject, content or enterprise", why="a search for what people typed",
              example="华翔路"),
    date_time("from", "received at or after"),
    date_time("to", "received before"),
    *page(limit=50, max_limit=500, max_offset=10_000_000),
)
CALLS = (
    _ORDER_NUMBER,
    free_text("caller", "calls from this number", why="a phone number as the PBX reported it",
              example="13800138000"),
    *page(limit=50, max_limit=500, min_limit=0),
)
SMS_OUTBOX = (_ORDER_NUMBER, choice("status", SMS_STATUSES, "messages in this delivery state"),
              *page(limit=100, max_limit=500))
SMS_INBOUND = (*page(limit=100, max_limit=500),
               choice("outcome", OUTCOMES, "what became of the message (`dead_letter`: attempts ran out)"))
KNOWLEDGE = (
    free_text("q", "search words: the best published matches, scored (then `limit` ≤ "
              f"{KB_SEARCH_LIMIT}, default 10)", why="a search for what people typed", example="高新技术企业认定"),
    integer("limit", default=50, lo=1, hi=500, description=f"how many articles (with `q`: at most {KB_SEARCH_LIMIT})"),
    integer("offset", default=0, lo=0, hi=10**9, description="how many articles to skip (without `q`)"),
    choice("status", (*ARTICLE_STATUSES, "all"), "articles in this state (other than published: supervisors)"),
    free_text("category", "articles of this category", why="categories are the editors' own words",
              example="税费政策"),
)
KNOWLEDGE_VERSION = (integer("version", default=1, lo=1, hi=2**31 - 1,
                             description="archive only if the article is still at this version"),)
REPORTS = (
    choice("period", PeriodKind, "the kind of period (default month)"),
    pattern("date", r"^\d{4}(-\d{2}(-\d{2})?|-?[Qq][1-4]|-?[Ww]\d{2})?$",
            "a day, ISO week, month, quarter or year; a date of another kind than `period` means the period "
            "containing its first day (quarter + 2026-12 = 2026-Q4). Default: today", "2026-Q4"),
)
SUPERVISION = (pattern("month", r"^\d{4}-(0[1-9]|1[0-2])$", "the month (default this month, Asia/Shanghai)", "2026-11"),)
FAXES = (choice("status", FAX_STATUSES, "faxes in this state"), *page(limit=100, max_limit=500))
