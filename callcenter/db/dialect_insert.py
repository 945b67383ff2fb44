"""INSERT … ON CONFLICT for the engine's dialect (PostgreSQL and SQLite spell it the same way)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine


def insert(engine: AsyncEngine, table: Table) -> Any:
    """The dialect's insert (with ``on_conflict_do_nothing``/``on_conflict_do_update``)."""
    dialect: Any = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)
