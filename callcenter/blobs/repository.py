"""The blob table (SQL): one row per stored file; where its bytes are stays in this row."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.engine import write_transaction
from callcenter.db.tables import blobs, orders


def new_blob_id() -> str:
    """An unguessable id (144 random bits), the shape `worksheet.attachments.ATTACHMENT_ID` accepts."""
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class Blob:
    id: str
    order_number: str | None
    kind: str  # recording | fax | fax-page | upload
    content_type: str
    name: str
    size: int | None
    sha256: str | None
    area: str  # store | recordings | fax | rejected
    location: str
    created_by: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        """What clients may know: never `area` or `location`."""
        return {"id": self.id, "order_number": self.order_number, "kind": self.kind,
                "content_type": self.content_type, "name": self.name, "size": self.size, "sha256": self.sha256,
                "available": self.area != "rejected", "created_at": self.created_at.isoformat()}


class BlobRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def add(self, blob: Blob) -> None:
        async with write_transaction(self.engine) as conn:
            await conn.execute(blobs.insert().values(**blob.__dict__))

    async def get_many(self, ids: Sequence[str]) -> dict[str, Blob]:
        if not ids:
            return {}
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(blobs).where(blobs.c.id.in_(list(ids))))
            return {r.id: Blob(**r._mapping) for r in rows}

    async def attach(self, ids: Sequence[str], order_number: str) -> None:
        """Give unowned blobs their order; blobs that already have one keep it."""
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(blobs).where(blobs.c.id.in_(list(ids)), blobs.c.order_number.is_(None))
                               .values(order_number=order_number))

    async def set_digest(self, blob_id: str, size: int, sha256: str) -> None:
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(blobs).where(blobs.c.id == blob_id, blobs.c.sha256.is_(None))
                               .values(size=size, sha256=sha256))

    async def unattached_bytes(self, created_by: str, since: datetime) -> int:
        """What a person uploaded since ``since`` and has not attached to an order yet."""
        query = select(func.coalesce(func.sum(blobs.c.size), 0)).where(
            blobs.c.created_by == created_by, blobs.c.order_number.is_(None), blobs.c.created_at >= since)
        async with self.engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def forget_stale_uploads(self, before: datetime, limit: int = 500) -> list[str]:
        """Delete uploads attached to no order since before ``before`` (an order that names one keeps
        it, even if the attach step after its creation never ran); the store locations freed."""
        unattached = select(blobs.c.id, blobs.c.location).where(
            blobs.c.kind == "upload", blobs.c.order_number.is_(None), blobs.c.created_at < before,
            blobs.c.area == "store").limit(limit)
        freed: list[str] = []
        async with write_transaction(self.engine) as conn:
            for blob_id, location in (await conn.execute(unattached)).all():
                named = select(orders.c.number).where(cast(orders.c.snapshot, Text).like(f'%"{blob_id}"%')).limit(1)
                if (owner := (await conn.execute(named)).scalar()) is not None:
                    await conn.execute(update(blobs).where(blobs.c.id == blob_id).values(order_number=owner))
                    continue
                await conn.execute(delete(blobs).where(blobs.c.id == blob_id))
                shared = select(blobs.c.id).where(blobs.c.area == "store", blobs.c.location == location).limit(1)
                if (await conn.execute(shared)).first() is None:
                    freed.append(location)
        return freed
