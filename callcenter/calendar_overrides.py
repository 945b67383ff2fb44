"""Working-calendar overrides that supervisors edit (holidays the State Council announced late,
a local day off, a 调休 working weekend), stored in the database and applied to the one shared
WorkingCalendar on every node: after each edit here, and by `refresh` (every minute) elsewhere.

The deployment's override file stays the base; a day edited here wins over it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.engine import write_transaction
from callcenter.db.tables import calendar_overrides
from worksheet.calendar import WorkingCalendar
from worksheet.errors import ValidationError
from worksheet.intake import EARLIEST, LATEST

log = logging.getLogger(__name__)
KINDS = ("holiday", "workday")
REFRESH_S = 60.0


@dataclass(frozen=True)
class Override:
    day: date
    kind: str
    name: str
    updated_by: str
    updated_at: datetime


class CalendarOverrides:
    def __init__(self, engine: AsyncEngine, calendar: WorkingCalendar, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.calendar = calendar
        self.clock = clock
        # The file's overrides, as loaded at start: what a removed database override falls back to.
        self.base = (calendar.extra_holidays, calendar.extra_workdays)

    async def list(self) -> list[Override]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(calendar_overrides).order_by(calendar_overrides.c.day))
            return [Override(**dict(r._mapping)) for r in rows]

    async def set(self, day: date, kind: str, name: str, *, by: str) -> None:
        if not EARLIEST.year <= day.year < LATEST.year:
            raise ValidationError(f"day must lie between {EARLIEST.year} and {LATEST.year - 1}")
        if kind not in KINDS:
            raise ValidationError(f"kind must be one of {', '.join(KINDS)}")
        name = name.strip()
        if not name or len(name) > 100:
            raise ValidationError("name is required (at most 100 characters), e.g. 春节 or 春节调休")
        values: dict[str, Any] = {"day": day, "kind": kind, "name": name, "updated_by": by,
                                  "updated_at": self.clock()}
        dialect: Any = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(calendar_overrides).values(**values)
        stmt = stmt.on_conflict_do_update(index_elements=["day"], set_={k: v for k, v in values.items() if k != "day"})
        async with write_transaction(self.engine) as conn:
            await conn.execute(stmt)
        await self.refresh()

    async def remove(self, day: date) -> None:
        async with write_transaction(self.engine) as conn:
            await conn.execute(delete(calendar_overrides).where(calendar_overrides.c.day == day))
        await self.refresh()

    async def refresh(self) -> None:
        """Apply the stored overrides to the shared calendar (the file's base, then ours on top)."""
        stored = await self.list()
        ours = {o.day: o.kind for o in stored}
        holidays = {d for d in self.base[0] if d not in ours} | {d for d, k in ours.items() if k == "holiday"}
        workdays = {d for d in self.base[1] if d not in ours} | {d for d, k in ours.items() if k == "workday"}
        if (frozenset(holidays), frozenset(workdays)) != (self.calendar.extra_holidays, self.calendar.extra_workdays):
            self.calendar.set_overrides(holidays, workdays)
            log.info("working calendar: %d extra holidays, %d extra workdays", len(holidays), len(workdays))

    async def run(self, interval: float = REFRESH_S) -> None:
        """Keep this node's calendar in step with edits made on other nodes."""
        while True:
            with contextlib.suppress(Exception):
                await self.refresh()
            await asyncio.sleep(interval)
