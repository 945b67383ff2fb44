"""Orders per liaison officer (按帮扶专员): the orders received in a period from enterprises with a
liaison, counted for that liaison (an order is matched to the directory by credit code or name,
as the notices are). Drafts and discarded drafts are no orders and are not counted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.tables import enterprises, orders, users
from callcenter.db.wecom_tables import enterprise_liaisons
from callcenter.reports.periods import Period
from worksheet.model import OPEN_STATUSES, Status

# Column keys → the Chinese headings pages and exports show.
LABELS = {"liaison": "帮扶专员", "enterprises": "帮扶企业数", "orders": "受理工单", "open": "在办",
          "closed": "已办结", "carded": "亮灯工单"}
NOT_ORDERS = (Status.DRAFT.value, Status.DISCARDED.value)
OPEN = sorted(s.value for s in OPEN_STATUSES)


async def orders_by_liaison(engine: AsyncEngine, period: Period) -> list[dict[str, Any]]:
    e, el, o = enterprises, enterprise_liaisons, orders
    matched = or_(and_(o.c.credit_code.is_not(None), o.c.credit_code == e.c.credit_code),
                  o.c.enterprise_name == e.c.name)
    counted = and_(o.c.received_at >= period.start, o.c.received_at < period.end, o.c.status.not_in(NOT_ORDERS))
    order_no = case((counted, o.c.number))
    query = (select(users.c.username, users.c.display_name,
                    func.count(distinct(e.c.id)).label("enterprises"),
                    func.count(distinct(order_no)).label("orders"),
                    func.count(distinct(case((and_(counted, o.c.status == Status.CLOSED.value), o.c.number)))).label("closed"),
                    func.count(distinct(case((and_(counted, o.c.status.in_(OPEN)), o.c.number)))).label("open"),
                    func.count(distinct(case((and_(counted, o.c.has_cards), o.c.number)))).label("carded"))
             .select_from(el.join(e, e.c.id == el.c.enterprise_id).join(users, users.c.id == el.c.user_id)
                          .outerjoin(o, matched))
             .group_by(users.c.username, users.c.display_name).order_by(users.c.username))
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [{"liaison": r.display_name or r.username, "username": r.username, "enterprises": r.enterprises,
             "orders": r.orders, "open": r.open, "closed": r.closed, "carded": r.carded}
            for r in rows]
