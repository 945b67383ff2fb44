"""Failed-login counters per account and per client address (table `login_throttle`).

Every method is one transaction, so workers and nodes sharing the database see one count. An
attempt is counted *before* its password is verified (`reserve`, as pending) and settled
afterwards (a failure, or nothing), so a burst of concurrent guesses cannot get past the lock while
the first ones are still being verified; but only verified failures delay the next attempt, so
agents sharing one NAT address who log in together wait for nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from callcenter.db.engine import write_transaction
from callcenter.db.tables import login_throttle as t

Key = tuple[str, str]  # ("account", username) or ("address", the address bucket)
# A reservation lasts one verification (well under a second; the hashing pool refuses more than it
# can queue). Older pending counts are from a process that died mid-verification.
PENDING_FOR = timedelta(minutes=1)


@dataclass(frozen=True)
class Bucket:
    kind: str
    key: str
    failures: int
    last_failure_at: datetime | None
    locked_until: datetime | None
    pending: int = 0
    pending_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> Bucket:
        return cls(row.kind, row.key, row.failures, row.last_failure_at, row.locked_until, row.pending, row.pending_at)

    def in_flight(self, now: datetime) -> int:
        """Attempts reserved and still being verified."""
        return self.pending if self.pending_at is not None and now - self.pending_at < PENDING_FOR else 0


class Admission(NamedTuple):
    """May a bucket try now? ``wait`` seconds (0: yes); ``locked``: the wait is a lock;
    ``forgiven``: its old failures no longer count (it starts again from zero)."""

    wait: float
    locked: bool = False
    forgiven: bool = False


def _longest_wait(verdicts: Sequence[Admission]) -> Admission | None:
    refusals = [v for v in verdicts if v.wait > 0]
    return max(refusals, key=lambda v: (v.wait, v.locked)) if refusals else None


def _where(keys: Sequence[Key]) -> Any:
    return or_(*(and_(t.c.kind == kind, t.c.key == key) for kind, key in keys))


class LoginThrottleRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def _locked_rows(self, conn: AsyncConnection, keys: Sequence[Key]) -> list[Bucket]:
        """The buckets of ``keys`` (created empty when missing), locked until the transaction ends."""
        dialect: Any = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        await conn.execute(dialect.insert(t).values([{"kind": kind, "key": key, "failures": 0} for kind, key in keys])
                           .on_conflict_do_nothing(index_elements=["kind", "key"]))
        rows = await conn.execute(select(t).where(_where(keys)).order_by(t.c.kind, t.c.key).with_for_update())
        return [Bucket.from_row(row) for row in rows]

    async def reserve(self, keys: Sequence[Key], now: datetime,
                      admit: Callable[[Bucket, datetime], Admission]) -> Admission:
        """Count one attempt in every bucket if ``admit`` lets each of them try now; otherwise
        change nothing and return the longest wait (a lock before a delay of the same length)."""
        keys = sorted(set(keys))  # one lock order for every transaction: no deadlocks
        async with self.engine.connect() as conn:  # a refusal (an attacker's flood) costs one read, no write lock
            found = [Bucket.from_row(row) for row in await conn.execute(select(t).where(_where(keys)))]
        if refusal := _longest_wait([admit(bucket, now) for bucket in found]):
            return refusal
        async with write_transaction(self.engine) as conn:
            buckets = await self._locked_rows(conn, keys)
            verdicts = [admit(bucket, now) for bucket in buckets]
            if refusal := _longest_wait(verdicts):  # another attempt came first
                return refusal
            for bucket, verdict in zip(buckets, verdicts, strict=True):
                values: dict[str, Any] = {"pending": bucket.in_flight(now) + 1, "pending_at": now}
                if verdict.forgiven:
                    values.update(failures=0, locked_until=None)
                await conn.execute(update(t).where(_where([(bucket.kind, bucket.key)])).values(**values))
        return Admission(0.0)

    async def failed(self, keys: Sequence[Key], now: datetime,
                     lock_until: Callable[[Bucket, datetime], datetime | None]) -> list[Bucket]:
        """The verified attempt was wrong: count it, lock the buckets ``lock_until`` says; return the
        newly locked."""
        locked = []
        async with write_transaction(self.engine) as conn:
            for bucket in await self._locked_rows(conn, sorted(set(keys))):
                counted = Bucket(bucket.kind, bucket.key, bucket.failures + 1, now, bucket.locked_until,
                                 max(bucket.pending - 1, 0), bucket.pending_at)
                values: dict[str, Any] = {"last_failure_at": now, "failures": counted.failures,
                                          "pending": counted.pending}
                if (until := lock_until(counted, now)) is not None:
                    values["locked_until"] = until
                    locked.append(Bucket(bucket.kind, bucket.key, counted.failures, now, until))
                await conn.execute(update(t).where(_where([(bucket.kind, bucket.key)])).values(**values))
        return locked

    async def uncount(self, keys: Sequence[Key], *, forget: Sequence[Key] = ()) -> None:
        """The reserved attempt was not a failure (right password, or never verified): no longer pending;
        the buckets in ``forget`` are removed altogether (an account after a successful login)."""
        async with write_transaction(self.engine) as conn:
            if forget:
                await conn.execute(delete(t).where(_where(forget)))
            rest = [key for key in keys if key not in forget]
            if rest:
                await conn.execute(update(t).where(_where(rest), t.c.pending > 0).values(pending=t.c.pending - 1))

    async def clear(self, kind: str, key: str) -> bool:
        """An administrator's unlock: the bucket starts again from zero. False if there was none."""
        async with write_transaction(self.engine) as conn:
            return bool((await conn.execute(delete(t).where(_where([(kind, key)])))).rowcount)

    async def locked(self, now: datetime) -> list[Bucket]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t).where(t.c.locked_until > now).order_by(t.c.kind, t.c.key))
            return [Bucket.from_row(row) for row in rows]

    async def prune(self, quiet_since: datetime, now: datetime) -> int:
        """Forget the buckets with no failure since ``quiet_since`` and no lock left."""
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(delete(t).where(
                or_(t.c.last_failure_at.is_(None), t.c.last_failure_at < quiet_since),
                or_(t.c.locked_until.is_(None), t.c.locked_until <= now)))
            return int(result.rowcount)
