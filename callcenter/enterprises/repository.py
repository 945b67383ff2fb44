"""Enterprise directory rows (SQLAlchemy Core, async), upserted by credit code or else by name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from callcenter.db.engine import write_transaction
from callcenter.enterprises.table import enterprises
from worksheet.extract import DirectoryEntry

_FIELDS = ("name", "credit_code", "contact_person", "mobile", "address", "district")


@dataclass
class UpsertResult:
    inserted: int = 0
    updated: int = 0
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)


class EnterpriseRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def upsert_many(self, entries: Iterable[DirectoryEntry]) -> UpsertResult:
        """Insert new enterprises, update known ones (same credit code, or same name). One transaction."""
        result = UpsertResult()
        now = datetime.now(UTC)
        async with write_transaction(self.engine) as conn:
            for entry in entries:
                values = {f: getattr(entry, f) for f in _FIELDS} | {"updated_at": now}
                row_id = await self._find(conn, entry)
                if row_id is None:
                    await conn.execute(insert(enterprises).values(**values))
                    result.inserted += 1
                    continue
                clash = (await conn.execute(select(enterprises.c.id).where(
                    enterprises.c.name == entry.name, enterprises.c.id != row_id))).first()
                if clash:
                    result.conflicts.append((entry.name, "name already used by an enterprise with another credit code"))
                    continue
                if entry.credit_code is None:
                    values.pop("credit_code")  # a row without a code keeps the one on file
                await conn.execute(update(enterprises).where(enterprises.c.id == row_id).values(**values))
                result.updated += 1
        return result

    @staticmethod
    async def _find(conn: AsyncConnection, entry: DirectoryEntry) -> int | None:
        if entry.credit_code:
            row = (await conn.execute(select(enterprises.c.id).where(
                enterprises.c.credit_code == entry.credit_code))).first()
            if row:
                return int(row.id)
        row = (await conn.execute(select(enterprises.c.id).where(enterprises.c.name == entry.name))).first()
        return int(row.id) if row else None

    async def all(self) -> list[DirectoryEntry]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(enterprises).order_by(enterprises.c.name))
            return [DirectoryEntry(**{f: getattr(r, f) for f in _FIELDS}) for r in rows]

    async def get(self, name: str) -> DirectoryEntry | None:
        async with self.engine.connect() as conn:
            r = (await conn.execute(select(enterprises).where(enterprises.c.name == name))).first()
            return DirectoryEntry(**{f: getattr(r, f) for f in _FIELDS}) if r else None

    async def count(self) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(enterprises))).scalar_one())
