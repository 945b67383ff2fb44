"""How many rows a list has in all, for the pages that show one page of it and its true total."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.ext.asyncio import AsyncEngine


async def count_rows(engine: AsyncEngine, table: Table, *where: ColumnElement[bool]) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(table).where(*where))).scalar_one())


def one_of(column: Any, value: str | Collection[str] | None) -> list[ColumnElement[bool]]:
    """The filter for a status-like column: one value, any of several, or none (no filter)."""
    if not value:
        return []
    return [column == value] if isinstance(value, str) else [column.in_(sorted(value))]
