"""Knowledge-base rows (SQLAlchemy Core, async). Every write bumps `version`, which both guards
concurrent edits and lets other app nodes notice the change (see `fingerprint`)."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.engine import write_transaction
from callcenter.knowledge.model import Article, ArticleFields, ArticleNotFound, ArticleVersionConflict
from callcenter.knowledge.table import kb_articles as t

Fingerprint = tuple[int, datetime | None, int]


def _article(row: Row[Any]) -> Article:
    return Article(id=row.id, title=row.title, body=row.body, category=row.category,
                   keywords=tuple(row.keywords or ()), unit=row.unit, status=row.status, version=row.version,
                   created_at=row.created_at, updated_at=row.updated_at, updated_by=row.updated_by)


def _values(fields: ArticleFields) -> dict[str, Any]:
    return {"title": fields.title, "body": fields.body, "category": fields.category,
            "keywords": list(fields.keywords), "unit": fields.unit, "status": fields.status}


class KnowledgeRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def list(self, *, status: str | None = None, category: str | None = None,
                   limit: int = 100, offset: int = 0) -> tuple[list[Article], int]:
        """A page of articles by id, and how many match in all."""
        where = [c for c in (t.c.status == status if status else None,
                             t.c.category == category if category else None) if c is not None]
        async with self.engine.connect() as conn:
            total = (await conn.execute(select(func.count()).select_from(t).where(*where))).scalar_one()
            rows = await conn.execute(select(t).where(*where).order_by(t.c.id).limit(limit).offset(offset))
            return [_article(r) for r in rows], int(total)

    async def get(self, article_id: int) -> Article:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t).where(t.c.id == article_id))).first()
        if row is None:
            raise ArticleNotFound(article_id)
        return _article(row)

    async def find_by_title(self, title: str) -> Article | None:
        """The oldest article with exactly this title (the loader's upsert key)."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t).where(t.c.title == title).order_by(t.c.id).limit(1))).first()
        return _article(row) if row else None

    async def published(self) -> builtins.list[Article]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t).where(t.c.status == "published").order_by(t.c.id))
            return [_article(r) for r in rows]

    async def fingerprint(self) -> Fingerprint:
        """Changes whenever any row is added or written: the count catches inserts, the version sum
        every update (even two within the same clock tick, which max(updated_at) would miss)."""
        query = select(func.count(), func.max(t.c.updated_at), func.coalesce(func.sum(t.c.version), 0))
        async with self.engine.connect() as conn:
            count, latest, versions = (await conn.execute(query)).one()
        return int(count), latest, int(versions)

    async def add(self, fields: ArticleFields, *, at: datetime, by: str) -> Article:
        values = _values(fields) | {"version": 1, "created_at": at, "updated_at": at, "updated_by": by}
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(insert(t).values(**values))
            key = result.inserted_primary_key
            assert key is not None  # a single-row INSERT always has one
            new_id = int(key[0])
        return await self.get(new_id)

    async def update(self, article_id: int, fields: ArticleFields, *, expected_version: int,
                     at: datetime, by: str) -> Article:
        """Write `fields` if the row is still at `expected_version`; else ArticleVersionConflict."""
        values = _values(fields) | {"version": expected_version + 1, "updated_at": at, "updated_by": by}
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(update(t).where(t.c.id == article_id, t.c.version == expected_version)
                                        .values(**values))
            if result.rowcount != 1:
                exists = (await conn.execute(select(t.c.id).where(t.c.id == article_id))).first()
                if exists is None:
                    raise ArticleNotFound(article_id)
                raise ArticleVersionConflict(article_id, expected_version)
        return await self.get(article_id)
