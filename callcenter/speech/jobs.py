"""The transcription queue and transcripts (SQL). A job is claimed atomically, so several workers
(or app nodes) never take the same recording; jobs left ``running`` by a crash are requeued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.engine import write_transaction
from callcenter.db.tables import call_transcripts, transcription_jobs

MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    path: str
    linkedid: str | None
    order_number: str | None
    caller: str | None
    attempts: int


class JobRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def enqueue(self, *, kind: str, path: str, linkedid: str | None, order_number: str | None,
                      caller: str | None, now: datetime) -> int:
        """Queue a recording once: a second request for the same (kind, path), e.g. from another
        node that heard the same call end, returns the existing job's id."""
        t = transcription_jobs
        insert = (postgresql.insert(t) if self.engine.dialect.name == "postgresql" else sqlite.insert(t)).values(
            kind=kind, path=path, linkedid=linkedid, order_number=order_number, caller=caller,
            status="queued", attempts=0, created_at=now, updated_at=now)
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(insert.on_conflict_do_nothing(index_elements=["kind", "path"]).returning(t.c.id))
            job_id = result.scalar_one_or_none()
            if job_id is None:
                job_id = (await conn.execute(select(t.c.id).where(t.c.kind == kind, t.c.path == path))).scalar_one()
            return int(job_id)

    async def claim(self, now: datetime) -> Job | None:
        """Take the oldest queued job (marks it running); None when the queue is empty."""
        t = transcription_jobs
        async with write_transaction(self.engine) as conn:
            query = select(t).where(t.c.status == "queued").order_by(t.c.id).limit(1)
            if self.engine.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = (await conn.execute(query)).first()
            if row is None:
                return None
            await conn.execute(update(t).where(t.c.id == row.id).values(
                status="running", attempts=row.attempts + 1, updated_at=now))
        return Job(row.id, row.kind, row.path, row.linkedid, row.order_number, row.caller, row.attempts + 1)

    async def finish(self, job: Job, now: datetime, *, error: str | None = None) -> str:
        """Mark done, or failed after an error; a failed job with attempts left is queued again."""
        status = "done" if error is None else ("queued" if job.attempts < MAX_ATTEMPTS else "failed")
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(transcription_jobs).where(transcription_jobs.c.id == job.id).values(
                status=status, error=error, updated_at=now))
        return status

    async def set_order(self, job: Job, order_number: str) -> None:
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(transcription_jobs).where(transcription_jobs.c.id == job.id).values(
                order_number=order_number))

    async def requeue_running(self, now: datetime) -> int:
        """After a restart: jobs a dead worker held go back to the queue."""
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(update(transcription_jobs).where(
                transcription_jobs.c.status == "running").values(status="queued", updated_at=now))
            return int(result.rowcount or 0)

    async def counts(self) -> dict[str, int]:
        t = transcription_jobs
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.c.status, func.count()).group_by(t.c.status))
            return {status: int(n) for status, n in rows}

    async def list(self, *, limit: int = 50) -> list[dict[str, Any]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(transcription_jobs).order_by(transcription_jobs.c.id.desc()).limit(limit))
            return [dict(r._mapping) for r in rows]


class TranscriptRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def save(self, *, source: str, linkedid: str | None, transcript: dict[str, Any], now: datetime) -> None:
        dialect: Any = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        values = {"source": source, "linkedid": linkedid, "status": transcript.get("status", "ok"),
                  "text": transcript.get("text", ""), "words": transcript.get("words", []),
                  "duration_s": transcript.get("duration_s"), "created_at": now}
        stmt = dialect.insert(call_transcripts).values(**values)
        stmt = stmt.on_conflict_do_update(index_elements=["source"], set_={
            k: stmt.excluded[k] for k in ("linkedid", "status", "text", "words", "duration_s", "created_at")})
        async with write_transaction(self.engine) as conn:
            await conn.execute(stmt)

    async def for_call(self, linkedid: str) -> list[dict[str, Any]]:
        t = call_transcripts
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t).where(t.c.linkedid == linkedid).order_by(t.c.created_at))
            return [{**{k: v for k, v in r._mapping.items() if k not in ("linkedid", "created_at")},
                     "created_at": r.created_at.isoformat()} for r in rows]
