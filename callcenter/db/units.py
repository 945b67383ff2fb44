"""Handling units (承办单位)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.engine import write_transaction
from callcenter.db.tables import units


class UnitRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def upsert_many(self, items: list[dict[str, str]]) -> None:
        """Insert units or update the name/short_name of existing codes (short_name defaults to name)."""
        if not items:
            return
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(units)
        stmt = stmt.on_conflict_do_update(
            index_elements=["code"], set_={"name": stmt.excluded.name, "short_name": stmt.excluded.short_name}
        )
        async with write_transaction(self.engine) as conn:
            await conn.execute(stmt, [
                {"code": u["code"], "name": u["name"], "short_name": u.get("short_name") or u["name"], "active": True}
                for u in items
            ])

    async def list(self) -> list[dict[str, object]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(units).order_by(units.c.code))
            return [dict(r._mapping) for r in rows]

    async def get(self, code: str) -> dict[str, object] | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(units).where(units.c.code == code))).first()
            return dict(row._mapping) if row else None
