"""The knowledge base as the application uses it: edits with optimistic concurrency, and search
over the published articles through an in-memory BM25 index.

The index is rebuilt lazily. Writes made through this service bump a generation counter, so this
process sees its own edits at once; edits made by other app nodes (or the CLI) are noticed by
re-reading a cheap fingerprint of the table at most every `recheck_s` seconds, so searches do not
each cost a query and yet every node converges within that interval.
"""

from __future__ import annotations

import asyncio
import builtins
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.knowledge.model import Article, ArticleVersionConflict, merged, validate
from callcenter.knowledge.repository import Fingerprint, KnowledgeRepository
from callcenter.knowledge.search import Bm25Index, Document, Hit
from worksheet.errors import ValidationError

RECHECK_S = 5.0
MAX_LIMIT = 50


@dataclass(frozen=True)
class Found:
    article: Article
    hit: Hit

    def to_json(self) -> dict[str, Any]:
        return self.article.to_json() | {"score": round(self.hit.score, 4), "terms": list(self.hit.terms)}


@dataclass(frozen=True)
class _Snapshot:
    index: Bm25Index
    articles: dict[int, Article]
    generation: int
    fingerprint: Fingerprint


def _build(articles: list[Article], generation: int, fingerprint: Fingerprint) -> _Snapshot:
    index = Bm25Index(Document(a.id, a.title, a.keywords, a.body) for a in articles)
    return _Snapshot(index, {a.id: a for a in articles}, generation, fingerprint)


class KnowledgeService:
    def __init__(self, engine: AsyncEngine, clock: Callable[[], datetime], *, recheck_s: float = RECHECK_S,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.repo = KnowledgeRepository(engine)
        self.clock = clock
        self.recheck_s = recheck_s
        self._monotonic = monotonic
        self._generation = 0  # bumped by every write through this service
        self._snapshot: _Snapshot | None = None
        self._checked_at = float("-inf")
        self._lock = asyncio.Lock()

    # -- editing --------------------------------------------------------------

    async def list(self, *, status: str | None = "published", category: str | None = None,
                   limit: int = 100, offset: int = 0) -> tuple[list[Article], int]:
        return await self.repo.list(status=status, category=category, limit=limit, offset=offset)

    async def get(self, article_id: int) -> Article:
        return await self.repo.get(article_id)

    async def create(self, data: dict[str, Any], *, by: str) -> Article:
        article = await self.repo.add(validate(data), at=self.clock(), by=by)
        self._generation += 1
        return article

    async def update(self, article_id: int, data: dict[str, Any], *, expected_version: int, by: str) -> Article:
        """Apply the fields in `data` (the others stay) if the article is still at `expected_version`."""
        current = await self.repo.get(article_id)
        if current.version != expected_version:
            raise ArticleVersionConflict(article_id, expected_version)
        fields = validate(merged(current, data))
        article = await self.repo.update(article_id, fields, expected_version=expected_version,
                                         at=self.clock(), by=by)
        self._generation += 1
        return article

    async def archive(self, article_id: int, *, by: str, expected_version: int | None = None) -> Article:
        """Take the article out of search; it stays readable by id, for the orders that quoted it."""
        current = await self.repo.get(article_id)
        version = current.version if expected_version is None else expected_version
        return await self.update(article_id, {"status": "archived"}, expected_version=version, by=by)

    # -- searching ------------------------------------------------------------

    async def search(self, query: str, limit: int = 10) -> builtins.list[Found]:
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}")
        snapshot = await self._current()
        return [Found(snapshot.articles[h.id], h) for h in snapshot.index.search(query, limit)]

    async def _current(self) -> _Snapshot:
        snapshot = self._snapshot
        fresh = snapshot is not None and snapshot.generation == self._generation
        if fresh and self._monotonic() - self._checked_at < self.recheck_s:
            assert snapshot is not None
            return snapshot
        async with self._lock:  # one rebuild at a time; the others wait and reuse it
            snapshot = self._snapshot
            generation = self._generation
            now = self._monotonic()
            if snapshot is not None and snapshot.generation == generation and now - self._checked_at < self.recheck_s:
                return snapshot
            fingerprint = await self.repo.fingerprint()  # read before the rows: a race only rebuilds twice
            self._checked_at = now
            if snapshot is None or snapshot.generation != generation or snapshot.fingerprint != fingerprint:
                articles = await self.repo.published()
                # Tokenizing (and jieba's first load) is CPU work: keep it off the event loop.
                snapshot = await asyncio.to_thread(_build, articles, generation, fingerprint)
                self._snapshot = snapshot
            return snapshot
