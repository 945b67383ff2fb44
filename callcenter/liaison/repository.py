"""Assignments, contacts and notices of liaison officers (SQL)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.dialect_insert import insert
from callcenter.db.direct import run_write
from callcenter.db.engine import write_transaction
from callcenter.db.group_commit import GroupCommit
from callcenter.db.tables import enterprises, users
from callcenter.db.wecom_tables import enterprise_liaisons, liaison_contacts, liaison_notices
from callcenter.sms.phone import mobile_e164
from callcenter.sms.privacy import mask_phone
from callcenter.wecom.senders import checked_userid, enterprise_id
from worksheet.errors import ValidationError
from worksheet.model import Enterprise


@dataclass(frozen=True)
class Liaison:
    user_id: int
    username: str
    display_name: str | None
    mobile: str | None
    wecom_userid: str | None

    @property
    def label(self) -> str:
        return self.display_name or self.username


COVERED_TTL = 30.0  # seconds


def _match(e: Enterprise) -> Any:
    """The directory row an order's enterprise is: its credit code when it has one, else its name."""
    if e.credit_code:
        return or_(enterprises.c.credit_code == e.credit_code, enterprises.c.name == e.name)
    return enterprises.c.name == e.name


class LiaisonRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._group = GroupCommit.for_engine(engine) if engine.dialect.name == "sqlite" else None
        # Which enterprises have a liaison, read at most every COVERED_TTL: most orders come from
        # enterprises without one, and their commands then pay nothing. An assignment made by
        # another process (a worker, the CLI) counts for this one within COVERED_TTL.
        self._covered: tuple[float, frozenset[str]] | None = None

    async def _user_id(self, username: str) -> int:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(users.c.id, users.c.active, users.c.role)
                                      .where(users.c.username == username))).first()
        if row is None or not row.active:
            raise ValidationError("没有这个在用的用户")
        if row.role == "unit_handler":
            raise ValidationError("帮扶专员应为热线或督办人员，不能是承办单位账号")
        return int(row.id)

    async def assign(self, enterprise: str, username: str, by: str, now: datetime) -> None:
        values = {"enterprise_id": await enterprise_id(self.engine, enterprise),
                  "user_id": await self._user_id(username), "assigned_at": now, "assigned_by": by}
        stmt = insert(self.engine, enterprise_liaisons).values(**values)
        async with write_transaction(self.engine) as conn:
            await conn.execute(stmt.on_conflict_do_update(index_elements=["enterprise_id"], set_=values))
        self._covered = None

    async def unassign(self, enterprise: str) -> bool:
        eid = await enterprise_id(self.engine, enterprise)
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(delete(enterprise_liaisons).where(enterprise_liaisons.c.enterprise_id == eid))
        self._covered = None
        return bool(result.rowcount)

    async def set_contact(self, username: str, mobile: str | None, wecom_userid: str | None) -> None:
        if mobile and mobile_e164(mobile) is None:
            raise ValidationError("手机号码格式不正确")
        values = {"user_id": await self._user_id(username), "mobile": mobile or None,
                  "wecom_userid": checked_userid(wecom_userid) if wecom_userid else None}
        stmt = insert(self.engine, liaison_contacts).values(**values)
        async with write_transaction(self.engine) as conn:
            await conn.execute(stmt.on_conflict_do_update(index_elements=["user_id"], set_=values))

    async def _covers(self, enterprise: Enterprise) -> bool:
        if self._covered is None or time.monotonic() - self._covered[0] > COVERED_TTL:
            query = select(enterprises.c.name, enterprises.c.credit_code).join(
                enterprise_liaisons, enterprise_liaisons.c.enterprise_id == enterprises.c.id)
            async with self.engine.connect() as conn:
                rows = (await conn.execute(query)).all()
            self._covered = (time.monotonic(), frozenset(v for r in rows for v in (r.name, r.credit_code) if v))
        return enterprise.name in self._covered[1] or (enterprise.credit_code or "") in self._covered[1]

    async def liaison_for(self, enterprise: Enterprise) -> Liaison | None:
        if not await self._covers(enterprise):
            return None
        el, c = enterprise_liaisons, liaison_contacts
        query = (select(users.c.id, users.c.username, users.c.display_name, c.c.mobile, c.c.wecom_userid)
                 .select_from(el.join(enterprises, enterprises.c.id == el.c.enterprise_id)
                              .join(users, users.c.id == el.c.user_id).outerjoin(c, c.c.user_id == users.c.id))
                 .where(_match(enterprise), users.c.active).order_by(enterprises.c.id).limit(1))
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else Liaison(row.id, row.username, row.display_name, row.mobile, row.wecom_userid)

    async def assignments(self) -> list[dict[str, Any]]:
        el, c = enterprise_liaisons, liaison_contacts
        query = (select(enterprises.c.name, users.c.username, users.c.display_name, c.c.mobile, c.c.wecom_userid)
                 .select_from(el.join(enterprises, enterprises.c.id == el.c.enterprise_id)
                              .join(users, users.c.id == el.c.user_id).outerjoin(c, c.c.user_id == users.c.id))
                 .order_by(enterprises.c.name))
        async with self.engine.connect() as conn:
            return [{"enterprise": r.name, "liaison": r.username, "liaison_name": r.display_name,
                     "mobile": mask_phone(r.mobile) if r.mobile else None, "wecom_userid": r.wecom_userid}
                    for r in await conn.execute(query)]

    async def enterprises_of(self, user_id: int) -> list[str]:
        query = (select(enterprises.c.name).join(enterprise_liaisons, enterprise_liaisons.c.enterprise_id == enterprises.c.id)
                 .where(enterprise_liaisons.c.user_id == user_id).order_by(enterprises.c.name))
        async with self.engine.connect() as conn:
            return list((await conn.scalars(query)).all())

    async def add_notice(self, key: str, user_id: int, order_number: str, kind: str, text: str, now: datetime) -> bool:
        """Store a notice once per key. On SQLite concurrent notices share the orders' and the SMS
        confirmations' commits (see group_commit.py): a notice is one more row, not one more fsync."""
        row = {"idempotency_key": key, "user_id": user_id, "order_number": order_number, "kind": kind, "text": text,
               "created_at": now}
        if self._group is not None:
            return await self._group.add(self._add_notices, row)
        (created,) = await run_write(self.engine, self._add_notices, [row])
        return created

    def _add_notices(self, conn: Connection, rows: Sequence[dict[str, Any]]) -> list[bool]:
        stmt = insert(self.engine, liaison_notices).on_conflict_do_nothing(index_elements=["idempotency_key"])
        stored = {r.idempotency_key for r in conn.execute(
            stmt.returning(liaison_notices.c.idempotency_key), list(rows))}
        return [row["idempotency_key"] in stored for row in rows]

    async def notices(self, user_id: int, *, limit: int = 100) -> list[dict[str, Any]]:
        n = liaison_notices
        query = select(n).where(n.c.user_id == user_id).order_by(n.c.id.desc()).limit(limit)
        async with self.engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(query)]

    async def unread(self, user_id: int) -> int:
        n = liaison_notices
        async with self.engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).where(n.c.user_id == user_id, n.c.read_at.is_(None)))
                       or 0)

    async def mark_read(self, user_id: int, now: datetime) -> None:
        n = liaison_notices
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(n).where(n.c.user_id == user_id, n.c.read_at.is_(None)).values(read_at=now))

    async def user_id(self, username: str) -> int | None:
        async with self.engine.connect() as conn:
            return await conn.scalar(select(users.c.id).where(users.c.username == username))
