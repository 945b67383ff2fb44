"""Call records (one row per Linkedid): upserted, so a late fact or a resync never duplicates a call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.engine import write_transaction
from callcenter.db.tables import call_records


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def _row(record: dict[str, Any], now: datetime) -> dict[str, Any]:
    # The indexed columns are bounded (caller 64, disposition 16); the full values stay in `record`.
    return {
        "linkedid": record["linkedid"], "caller": (record.get("caller") or "")[:64] or None,
        "started_at": _time(record.get("started_at")), "ended_at": _time(record.get("ended_at")),
        "disposition": (record.get("disposition") or "")[:16] or None, "order_number": record.get("order_number"),
        "updated_at": now, "record": record,
    }


class CallRecordRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def upsert(self, records: Sequence[dict[str, Any]], now: datetime) -> None:
        if not records:
            return
        async with write_transaction(self.engine) as conn:
            await conn.execute(self._upsert(), [_row(r, now) for r in records])

    async def close_if_open(self, records: Sequence[dict[str, Any]], now: datetime) -> set[str]:
        """Store calls closed without their Hangup events (a guessed end) only where the stored
        row is still open (or missing): a node's guess never replaces an end another node saw,
        nor another node's guess. Returns the Linkedids written."""
        if not records:
            return set()
        written: set[str] = set()
        async with write_transaction(self.engine) as conn:
            for record in records:  # few: the calls one resync closed
                stmt = self._upsert(_row(record, now), only_open=True).returning(call_records.c.linkedid)
                if (await conn.execute(stmt)).first() is not None:
                    written.add(str(record["linkedid"]))
        return written

    def _upsert(self, row: dict[str, Any] | None = None, *, only_open: bool = False) -> Any:
        dialect: Any = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(call_records) if row is None else dialect.insert(call_records).values(row)
        # A record linked to an order keeps that link even if the tracker (restarted) forgot it.
        keep_order = func.coalesce(stmt.excluded.order_number, call_records.c.order_number)
        return stmt.on_conflict_do_update(index_elements=["linkedid"], set_={
            col: stmt.excluded[col] for col in ("caller", "started_at", "ended_at", "disposition",
                                                 "updated_at", "record")} | {"order_number": keep_order},
            where=call_records.c.ended_at.is_(None) if only_open else None)

    async def open_records(self, *, limit: int) -> list[dict[str, Any]]:
        """Calls stored as not ended, the most recently started first (the partial index of 0016)."""
        query = (select(call_records).where(call_records.c.ended_at.is_(None))
                 .order_by(call_records.c.started_at.desc().nulls_last(), call_records.c.linkedid).limit(limit))
        async with self.engine.connect() as conn:
            return [_record(r._mapping) for r in await conn.execute(query)]

    async def get(self, linkedid: str) -> dict[str, Any] | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(call_records).where(call_records.c.linkedid == linkedid))).first()
        return _record(row._mapping) if row else None

    async def list(self, *, limit: int = 50, offset: int = 0, order_number: str | None = None,
                   caller: str | None = None) -> list[dict[str, Any]]:
        query = select(call_records).order_by(call_records.c.started_at.desc(), call_records.c.linkedid)
        if order_number:
            query = query.where(call_records.c.order_number == order_number)
        if caller:
            query = query.where(call_records.c.caller == caller)
        async with self.engine.connect() as conn:
            rows = await conn.execute(query.limit(limit).offset(offset))
            return [_record(r._mapping) for r in rows]

    async def link_order(self, linkedid: str, order_number: str, now: datetime) -> bool:
        async with write_transaction(self.engine) as conn:
            row = (await conn.execute(select(call_records.c.record).where(
                call_records.c.linkedid == linkedid))).first()
            if row is None:
                return False
            record = dict(row.record) | {"order_number": order_number}
            await conn.execute(call_records.update().where(call_records.c.linkedid == linkedid).values(
                order_number=order_number, record=record, updated_at=now))
        return True


def _record(row: Any) -> dict[str, Any]:
    record = dict(row["record"])
    record["order_number"] = row["order_number"]
    return record
