"""The callback job store (SQL). Jobs are claimed atomically (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, the one-writer lock on SQLite), so two nodes never dial the same survey; attempts
are counted when a job is claimed, *before* dialling, so a crash cannot earn an extra attempt.

Every state change is a conditional update on (id, status, attempts): a late or duplicate
report about an attempt that was already settled changes nothing and returns None.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.claims import claim
from callcenter.db.counting import count_rows, one_of
from callcenter.db.engine import write_transaction
from callcenter.sms.privacy import mask_phone
from worksheet.callbacks import CallingWindows, Outcome, Retry, RetryPolicy, SmsSurvey, Unreachable
from worksheet.errors import ValidationError
from worksheet.model import Rating

from .table import ACTIVE_STATUSES, STATUSES, callback_jobs

ANSWERED = "answered"  # last_outcome while the answered call runs the survey


@dataclass(frozen=True)
class CallbackJob:
    id: int
    order_number: str
    cycle: int
    phone: str
    status: str
    attempts: int
    due_at: datetime
    last_outcome: str | None
    action_id: str | None
    channel_id: str | None
    dialled_at: datetime | None
    result: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> CallbackJob:
        return cls(**dict(row._mapping))

    def to_json(self) -> dict[str, Any]:
        """The number is masked, as everywhere a job is listed (the dialer reads `phone` itself)."""
        view = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items()}
        view["phone"] = mask_phone(self.phone)
        return view


def parse_result(value: Outcome | Rating | str) -> Outcome | Rating:
    """A rating ("satisfied", …) or a failed outcome ("busy", …); their values do not overlap."""
    if isinstance(value, Outcome | Rating):
        return value
    for kind in (Rating, Outcome):
        try:
            return kind(value)
        except ValueError:
            pass
    raise ValidationError(f"'{value}' is neither a rating nor a callback outcome")


class CallbackJobRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @property
    def _pg(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    # --- reads ------------------------------------------------------------------------

    async def get(self, job_id: int) -> CallbackJob | None:
        return await self._one(callback_jobs.c.id == job_id)

    async def for_cycle(self, order_number: str, cycle: int) -> CallbackJob | None:
        t = callback_jobs
        return await self._one(and_(t.c.order_number == order_number, t.c.cycle == cycle))

    async def by_action(self, action_id: str) -> CallbackJob | None:
        """The job whose current dial has this AMI ActionID (None once the dial was settled)."""
        t = callback_jobs
        return await self._one(and_(t.c.action_id == action_id, t.c.status == "dialling"))

    async def active_for(self, order_number: str) -> CallbackJob | None:
        """The order's unfinished job (scheduled, dialling or waiting for the SMS answer), newest cycle."""
        t = callback_jobs
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(t).where(t.c.order_number == order_number,
                                                      t.c.status.in_(ACTIVE_STATUSES))
                                      .order_by(t.c.cycle.desc()).limit(1))).first()
        return None if row is None else CallbackJob.from_row(row)

    async def waiting_sms_for(self, phone_digits: str) -> list[CallbackJob]:
        """SMS surveys out to a number, oldest deadline first. Stored numbers are as orders wrote them
        ("138-0013-8000", "+86…"), so the SQL narrows by the last digits and the caller compares exactly."""
        t = callback_jobs
        tail = "".join(ch for ch in phone_digits if ch.isdigit())[-4:]
        if not tail:
            return []
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t).where(t.c.status == "waiting_sms", t.c.phone.like(f"%{tail}"))
                                      .order_by(t.c.due_at, t.c.id))
            return [CallbackJob.from_row(r) for r in rows]

    async def list(self, status: str | None = None, *, limit: int | None = None, offset: int = 0) -> list[CallbackJob]:
        t = callback_jobs
        query = select(t).where(*_with_status(status)).order_by(t.c.due_at, t.c.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        async with self.engine.connect() as conn:
            return [CallbackJob.from_row(r) for r in await conn.execute(query)]

    async def count(self, status: str | None = None) -> int:
        return await count_rows(self.engine, callback_jobs, *_with_status(status))

    async def _one(self, where: Any) -> CallbackJob | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(callback_jobs).where(where))).first()
        return None if row is None else CallbackJob.from_row(row)

    # --- writes -----------------------------------------------------------------------

    async def schedule(self, order_number: str, cycle: int, phone: str, due_at: datetime,
                       now: datetime) -> CallbackJob:
        """Create the cycle's job; a second schedule for the same cycle is a no-op returning the first."""
        dialect: Any = postgresql if self._pg else sqlite
        stmt = dialect.insert(callback_jobs).values(
            order_number=order_number, cycle=cycle, phone=phone, status="scheduled", attempts=0, due_at=due_at,
            created_at=now, updated_at=now,
        ).on_conflict_do_nothing(index_elements=["order_number", "cycle"])
        async with write_transaction(self.engine) as conn:
            await conn.execute(stmt)
            t = callback_jobs
            row = (await conn.execute(select(t).where(t.c.order_number == order_number, t.c.cycle == cycle))).one()
        return CallbackJob.from_row(row)

    async def claim_due(self, now: datetime, limit: int = 10) -> list[CallbackJob]:
        """Move due scheduled jobs to dialling, counting the attempt now (before anyone dials).

        ``dialled_at`` is set here too, so a node that dies between the claim and the dial leaves a
        job that `stale_dials` reports as timed out.
        """
        t = callback_jobs
        rows = await claim(self.engine, t, status="scheduled", due=t.c.due_at <= now, order_by=(t.c.due_at, t.c.id),
                           limit=limit, values={"status": "dialling", "attempts": t.c.attempts + 1, "dialled_at": now,
                                                "action_id": None, "channel_id": None, "updated_at": now})
        return [CallbackJob.from_row(r) for r in rows]

    async def record_dial(self, job: CallbackJob, action_id: str, channel_id: str | None,
                          now: datetime) -> CallbackJob | None:
        return await self._transition(job, "dialling", action_id=action_id, channel_id=channel_id, dialled_at=now,
                                      updated_at=now)

    async def mark_answered(self, job: CallbackJob, now: datetime) -> CallbackJob | None:
        """The call was answered: the survey runs; `stale_dials` gives it `answered_timeout`, not `timeout`."""
        return await self._transition(job, "dialling", last_outcome=ANSWERED, dialled_at=now, updated_at=now)

    async def finish(self, job: CallbackJob, result: Outcome | Rating | str, now: datetime, *,
                     policy: RetryPolicy, windows: CallingWindows) -> CallbackJob | None:
        """Settle the current attempt (or the SMS survey) by the pure policy.

        A rating → done. A failed call outcome → `policy.next_step`: Retry → scheduled again at the
        retry time; SmsSurvey → waiting_sms with ``due_at`` = the answer deadline; SMS unanswered →
        unreachable. Returns None when the job was not in that state any more (already settled).
        """
        value = parse_result(result)
        current = await self.get(job.id)
        if current is None or current.status not in ("dialling", "waiting_sms") or current.attempts != job.attempts:
            return None
        if isinstance(value, Rating):
            return await self._transition(current, current.status, status="done", result=value.value,
                                          action_id=None, updated_at=now)
        if current.status == "waiting_sms" and value is not Outcome.SMS_UNANSWERED:
            return None  # a stray call outcome while the SMS survey is out
        if current.status == "dialling" and value is Outcome.SMS_UNANSWERED:
            raise ValidationError("an SMS survey outcome was reported for a job that is dialling")
        step = policy.next_step(current.attempts, value, now, windows)
        changes: dict[str, Any] = {"last_outcome": value.value, "action_id": None, "updated_at": now}
        if isinstance(step, Retry):
            changes.update(status="scheduled", due_at=step.at)
        elif isinstance(step, SmsSurvey):
            changes.update(status="waiting_sms", due_at=step.answer_by)
        elif isinstance(step, Unreachable):
            changes.update(status="unreachable")
        return await self._transition(current, current.status, **changes)

    async def cancel(self, job: CallbackJob, now: datetime) -> CallbackJob | None:
        """The order left callback_pending some other way (or is gone): the survey is not needed."""
        current = await self.get(job.id)
        if current is None or current.status not in ACTIVE_STATUSES:
            return None
        return await self._transition(current, current.status, status="cancelled", action_id=None, updated_at=now)

    async def stale_dials(self, now: datetime, timeout: timedelta, *,
                          answered_timeout: timedelta | None = None) -> list[CallbackJob]:
        """Dials with no OriginateResponse for `timeout` (report them as Outcome.TIMEOUT) and, when
        `answered_timeout` is given, answered calls whose survey result never came for that long."""
        t = callback_jobs
        unanswered = or_(t.c.last_outcome.is_(None), t.c.last_outcome != ANSWERED)
        cond = and_(unanswered, t.c.dialled_at <= now - timeout)
        if answered_timeout is not None:
            cond = or_(cond, and_(t.c.last_outcome == ANSWERED, t.c.dialled_at <= now - answered_timeout))
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t).where(t.c.status == "dialling", cond).order_by(t.c.dialled_at, t.c.id))
            return [CallbackJob.from_row(r) for r in rows]

    async def expired_sms(self, now: datetime) -> list[CallbackJob]:
        """SMS surveys past their answer deadline (report them as Outcome.SMS_UNANSWERED)."""
        t = callback_jobs
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t).where(t.c.status == "waiting_sms", t.c.due_at <= now)
                                      .order_by(t.c.due_at, t.c.id))
            return [CallbackJob.from_row(r) for r in rows]

    async def _transition(self, job: CallbackJob, expected_status: str, **values: Any) -> CallbackJob | None:
        """Apply `values` only if the job is still in `expected_status` at the same attempt."""
        t = callback_jobs
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(update(t).where(
                t.c.id == job.id, t.c.status == expected_status, t.c.attempts == job.attempts).values(**values))
            if not result.rowcount:
                return None
            row = (await conn.execute(select(t).where(t.c.id == job.id))).one()
        return CallbackJob.from_row(row)


def _with_status(status: str | None) -> list[Any]:
    if status is not None and status not in STATUSES:
        raise ValidationError(f"unknown callback job status '{status}' (expected one of {', '.join(STATUSES)})")
    return one_of(callback_jobs.c.status, status)
