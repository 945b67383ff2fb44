"""Which enterprise a WeCom member speaks for (SQL), kept by admins; unknown members still draft."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.dialect_insert import insert
from callcenter.db.engine import write_transaction
from callcenter.db.tables import enterprises
from callcenter.db.wecom_tables import wecom_senders
from worksheet.callerid import caller_number
from worksheet.errors import ValidationError
from worksheet.model import Enterprise

USERID = re.compile(r"[A-Za-z0-9_.@-]{1,64}")  # WeCom's account ids


def checked_userid(userid: str) -> str:
    if not USERID.fullmatch(userid or ""):
        raise ValidationError("企业微信账号格式不正确（1–64 位字母、数字或 _ . @ -）")
    return userid


async def enterprise_id(engine: AsyncEngine, ref: str) -> int:
    """A directory enterprise by its exact name or its credit code."""
    ref = (ref or "").strip()
    async with engine.connect() as conn:
        found = await conn.scalar(select(enterprises.c.id).where(
            or_(enterprises.c.name == ref, enterprises.c.credit_code == ref.upper())))
    if found is None:
        raise ValidationError("企业名录中没有这家企业（请填写完整名称或统一社会信用代码）")
    return int(found)


class SenderMap:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def set(self, userid: str, enterprise: str, now: datetime) -> None:
        values = {"userid": checked_userid(userid), "enterprise_id": await enterprise_id(self.engine, enterprise),
                  "updated_at": now}
        stmt = insert(self.engine, wecom_senders).values(**values)
        async with write_transaction(self.engine) as conn:
            await conn.execute(stmt.on_conflict_do_update(index_elements=["userid"], set_=values))

    async def remove(self, userid: str) -> bool:
        async with write_transaction(self.engine) as conn:
            return bool((await conn.execute(delete(wecom_senders).where(wecom_senders.c.userid == userid))).rowcount)

    async def enterprise_of(self, userid: str) -> Enterprise | None:
        e = enterprises
        query = select(e.c.name, e.c.credit_code, e.c.contact_person, e.c.mobile).join(
            wecom_senders, wecom_senders.c.enterprise_id == e.c.id).where(wecom_senders.c.userid == userid)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return Enterprise(name=row.name, credit_code=row.credit_code, contact_person=row.contact_person,
                          phone=caller_number(row.mobile))

    async def all(self) -> list[dict[str, str]]:
        query = select(wecom_senders.c.userid, enterprises.c.name).join(
            enterprises, enterprises.c.id == wecom_senders.c.enterprise_id).order_by(wecom_senders.c.userid)
        async with self.engine.connect() as conn:
            return [{"userid": r.userid, "enterprise": r.name} for r in await conn.execute(query)]
