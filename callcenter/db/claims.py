"""Claiming due rows for one worker: the queue pattern the callback jobs and the SMS outbox share.

On PostgreSQL the candidate rows are locked with ``FOR UPDATE SKIP LOCKED``, so two nodes claim
disjoint sets without waiting on each other; on SQLite the write lock serialises claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from .engine import write_transaction


async def claim(engine: AsyncEngine, table: Table, *, status: str, due: ColumnElement[bool],
                order_by: Sequence[Any], limit: int, values: dict[str, Any]) -> list[Row[Any]]:
    """Move up to ``limit`` rows in ``status`` that satisfy ``due`` to ``values``; return them updated."""
    t = table
    async with write_transaction(engine) as conn:
        query = select(t.c.id).where(t.c.status == status, due).order_by(*order_by).limit(limit)
        if engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = [r.id for r in await conn.execute(query)]
        if not ids:
            return []
        await conn.execute(update(t).where(t.c.id.in_(ids), t.c.status == status).values(**values))
        return list(await conn.execute(select(t).where(t.c.id.in_(ids)).order_by(*order_by)))
