"""The audit log: who saw what they should only see on purpose (an unmasked phone number, …)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.engine import write_transaction
from callcenter.db.tables import audit_log
from worksheet.model import Actor


class AuditLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def record(self, actor: Actor, action: str, subject: str, at: datetime, detail: str = "") -> None:
        async with write_transaction(self.engine) as conn:
            await conn.execute(audit_log.insert().values(at=at, actor=actor.id, role=actor.role.value,
                                                         action=action, subject=subject, detail=detail[:300]))

    async def list(self, *, subject: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if subject is not None:
            query = query.where(audit_log.c.subject == subject)
        async with self.engine.connect() as conn:
            return [dict(r._mapping) for r in await conn.execute(query)]
