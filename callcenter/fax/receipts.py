"""The fax receipt store (SQL): one row per fax call, from "received" to "drafted" (or why not).

Receipts are claimed like the other queues (`callcenter.db.claims`), so two nodes never read the
same fax, and a node that died mid-OCR leaves a row that `requeue_processing` puts back.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.claims import claim
from callcenter.db.counting import count_rows, one_of
from callcenter.db.engine import write_transaction
from callcenter.db.tables import fax_receipts
from callcenter.sms.privacy import mask_phone

STATUSES = ("received", "processing", "drafted", "failed", "error")


@dataclass(frozen=True)
class FaxReceipt:
    id: int
    linkedid: str
    caller: str | None
    status: str
    pages: int
    fax_status: str | None
    error: str | None
    file: str | None
    stored: str | None
    documents: dict[str, Any] | None  # blob ids of the TIFF, PDF and pages
    text: str | None
    order_number: str | None
    attempts: int
    received_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> FaxReceipt:
        return cls(**dict(row._mapping))

    def to_json(self) -> dict[str, Any]:
        view = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items()}
        view["caller"] = mask_phone(self.caller) if self.caller else None
        view.pop("stored")  # a server path; the API serves the documents by id
        view.pop("documents")
        return view


class FaxReceiptRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def record(self, *, linkedid: str, caller: str | None, status: str, pages: int, fax_status: str | None,
                     file: str | None, error: str | None, now: datetime) -> tuple[FaxReceipt, bool]:
        """Once per call (a replayed hangup changes nothing); (the row, whether it is new)."""
        dialect: Any = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(fax_receipts).values(
            linkedid=linkedid, caller=caller, status=status, pages=pages, fax_status=fax_status, file=file,
            error=error, attempts=0, received_at=now, updated_at=now,
        ).on_conflict_do_nothing(index_elements=["linkedid"])
        async with write_transaction(self.engine) as conn:
            created = (await conn.execute(stmt)).rowcount == 1
            row = (await conn.execute(select(fax_receipts).where(fax_receipts.c.linkedid == linkedid))).one()
        return FaxReceipt.from_row(row), created

    async def claim_next(self, now: datetime) -> FaxReceipt | None:
        t = fax_receipts
        rows = await claim(self.engine, t, status="received", due=t.c.updated_at <= now, order_by=(t.c.id,),
                           limit=1, values={"status": "processing", "attempts": t.c.attempts + 1, "updated_at": now})
        return FaxReceipt.from_row(rows[0]) if rows else None

    async def settle(self, receipt: FaxReceipt, now: datetime, **values: Any) -> None:
        """Leave processing: drafted, error, or back to received (``updated_at`` = when to retry)."""
        values.setdefault("updated_at", now)
        if values.get("error"):
            values["error"] = str(values["error"])[:300]
        t = fax_receipts
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(t).where(t.c.id == receipt.id, t.c.status == "processing").values(**values))

    async def requeue_processing(self, now: datetime) -> int:
        t = fax_receipts
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(update(t).where(t.c.status == "processing").values(
                status="received", updated_at=now))
            return int(result.rowcount or 0)

    async def get(self, receipt_id: int) -> FaxReceipt | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(fax_receipts).where(fax_receipts.c.id == receipt_id))).first()
        return None if row is None else FaxReceipt.from_row(row)

    async def list(self, *, status: str | Collection[str] | None = None, limit: int = 100,
                   offset: int = 0) -> list[FaxReceipt]:
        """Newest first; ``status`` one state or any of several."""
        t = fax_receipts
        query = select(t).where(*one_of(t.c.status, status)).order_by(t.c.id.desc()).limit(limit).offset(offset)
        async with self.engine.connect() as conn:
            return [FaxReceipt.from_row(r) for r in await conn.execute(query)]

    async def count(self, *, status: str | Collection[str] | None = None) -> int:
        return await count_rows(self.engine, fax_receipts, *one_of(fax_receipts.c.status, status))
