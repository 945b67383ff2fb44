"""Orders: the row (indexed columns + JSON snapshot) and its append-only events.

Every write is one transaction: row, unit links and events together, guarded by
the version column (optimistic concurrency) and by the events' (order_number,
seq) key. The version is the number of events (`WorkOrder.version`); reads pair
a snapshot with exactly the events `seq <= version` it was written with, so a
save committed between the two SELECTs cannot produce a torn order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.direct import run_read, run_write
from callcenter.db.errors import OrderNotFound, VersionConflict
from callcenter.db.group_commit import GroupCommit
from callcenter.db.order_rows import (
    chunks,
    event_from_row,
    event_row,
    link_rows,
    order_row,
    unit_rows,
    with_links,
)
from callcenter.db.tables import duplicate_links, order_counters, order_events, order_units, orders
from worksheet.codec import order_from_dict
from worksheet.duplicates import Candidate
from worksheet.evolve import clock_from_data
from worksheet.model import Clock, Event, Status, WorkOrder

Build = Callable[[str], tuple[WorkOrder, Sequence[Event]]]
_NEWEST_FIRST = (orders.c.received_at.desc(), orders.c.number.desc())
RECENT_CAP = 100  # duplicate candidates read per new order, however long the caller's history


def _recent_by(column: Any, param: str) -> Select[Any]:
    """One party's newest orders since `since`: a backward walk of (column, received_at, number)."""
    return (select(orders.c.number, orders.c.status, orders.c.enterprise_name, orders.c.enterprise_phone,
                   orders.c.subject, orders.c.content, orders.c.received_at)
            .where(column == bindparam(param), orders.c.received_at >= bindparam("since"),
                   orders.c.status.in_(bindparam("statuses", expanding=True)))
            .order_by(column.desc(), *_NEWEST_FIRST).limit(RECENT_CAP))


# Same phone, or same enterprise name: each half is a bounded index range scan (an OR of the two
# would read every earlier order of the caller and sort them), merged and cut to the cap.
_RECENT_PARTS = union_all(select(_recent_by(orders.c.enterprise_phone, "phone").subquery()),
                          select(_recent_by(orders.c.enterprise_name, "name").subquery())).subquery()
_RECENT = select(_RECENT_PARTS).order_by(_RECENT_PARTS.c.received_at.desc(), _RECENT_PARTS.c.number.desc())
# The later orders linked to an order as possible duplicates (see tables.duplicate_links), read
# with its row: one correlated index probe, no extra round trip.
_LINKED = (select(func.aggregate_strings(duplicate_links.c.duplicate_number, ","))
           .where(duplicate_links.c.order_number == orders.c.number).scalar_subquery().label("linked"))
_ORDER = (orders.c.snapshot, orders.c.version, _LINKED)
_GET_ORDER = select(*_ORDER).where(orders.c.number == bindparam("number"))
_GET_EVENTS = (
    select(order_events)
    .where(order_events.c.order_number == bindparam("number"), order_events.c.seq <= bindparam("version"))
    .order_by(order_events.c.seq)
)


def _get(conn: Connection, number: str) -> WorkOrder:
    row = conn.execute(_GET_ORDER, {"number": number}).first()
    if row is None:
        raise OrderNotFound(number)
    events = conn.execute(_GET_EVENTS, {"number": number, "version": row.version})
    return with_links(order_from_dict(row.snapshot, [event_from_row(r) for r in events]), row.linked)


def _all(conn: Connection, query: Any, params: dict[str, Any]) -> list[Any]:
    return list(conn.execute(query, params).all())


def _filters(
    *, status: Sequence[str] | None, unit: str | None, category: str | None, channel: str | None, card: str | None,
    text: str | None, received_from: datetime | None, received_to: datetime | None,
    numbers_in: Sequence[str] | None,
) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if status:
        where.append(orders.c.status.in_(list(status)))
    if unit:
        where.append(orders.c.number.in_(select(order_units.c.order_number).where(order_units.c.unit_code == unit)))
    for column, value in ((orders.c.category, category), (orders.c.channel, channel), (orders.c.card, card)):
        if value:
            where.append(column == value)
    if text:
        pattern = _like(text)
        where.append(or_(*(c.ilike(pattern, escape="\\") for c in (
            orders.c.subject, orders.c.content, orders.c.enterprise_name, orders.c.number))))
    if received_from is not None:
        where.append(orders.c.received_at >= received_from)
    if received_to is not None:
        where.append(orders.c.received_at < received_to)
    if numbers_in is not None:
        where.append(orders.c.number.in_(list(numbers_in)))
    return where


@dataclass(frozen=True)
class DeadlineRow:
    """The part of an order its deadlines are worked out from (see deadline_rows)."""

    number: str
    received_at: datetime
    preset: str
    clocks: tuple[Clock, ...]

    def clock(self, name: str) -> Clock | None:
        return next((c for c in self.clocks if c.name == name), None)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class OrderRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # SQLite: batch new orders into shared commits; PostgreSQL writes in parallel.
        self._group = GroupCommit.for_engine(engine) if engine.dialect.name == "sqlite" else None

    # -- writes ---------------------------------------------------------------

    async def next_number(self, day: date) -> str:
        """The next order number of `day` (Asia/Shanghai), e.g. 20261123-0007; atomic under concurrency."""
        (number,) = await run_write(self.engine, self._reserve, day, 1)
        return number

    @staticmethod
    def _reserve(conn: Connection, day: date, count: int) -> list[str]:
        """Take `count` consecutive numbers of `day` with one upsert."""
        key = f"{day:%Y%m%d}"
        dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(order_counters).values(day=key, last=count)
        stmt = stmt.on_conflict_do_update(index_elements=["day"], set_={"last": order_counters.c.last + count})
        last = conn.execute(stmt.returning(order_counters.c.last)).scalar_one()
        return [f"{key}-{n:04d}" for n in range(last - count + 1, last + 1)]

    async def add_numbered(self, day: date, build: Build) -> WorkOrder:
        """Allocate the day's next number and insert the order `build(number)` returns, durably.
        On SQLite concurrent calls share one commit (see group_commit.py)."""
        if self._group is not None:
            return await self._group.add(self._add_batch, (day, build))
        (order,) = await run_write(self.engine, self._add_batch, [(day, build)])
        return order

    def _add_batch(self, conn: Connection, items: Sequence[tuple[date, Build]]) -> list[WorkOrder]:
        """Number and insert orders in one transaction: one counter upsert a day, one insert a table."""
        built: dict[int, tuple[WorkOrder, Sequence[Event]]] = {}
        for day in dict.fromkeys(day for day, _ in items):  # a batch rarely spans midnight
            same_day = [i for i, (d, _) in enumerate(items) if d == day]
            numbers = self._reserve(conn, day, len(same_day))
            built.update((i, items[i][1](number)) for i, number in zip(same_day, numbers, strict=True))
        ordered = [built[i] for i in range(len(items))]
        self._insert_many(conn, ordered)
        return [order for order, _ in ordered]

    async def add(self, order: WorkOrder, events: Sequence[Event]) -> None:
        """Insert a new order with its events; committed (durable) when this returns."""
        await run_write(self.engine, self._insert_many, [(order, events)])

    @classmethod
    def _insert_many(cls, conn: Connection, items: Sequence[tuple[WorkOrder, Sequence[Event]]]) -> None:
        for order, events in items:
            if not events or order.version != len(events):
                raise ValueError(f"order {order.number}: add() needs all {order.version} events of the order")
        conn.execute(insert(orders), [
            {"number": o.number, "created_at": ev[0].at, **order_row(o, ev[-1].at)} for o, ev in items])
        conn.execute(insert(order_events), [event_row(o.number, e) for o, ev in items for e in ev])
        if units := [u for o, _ in items for u in unit_rows(o)]:
            conn.execute(insert(order_units), units)
        cls._link(conn, [link for o, ev in items for link in link_rows(o, ev)])

    async def save(self, order: WorkOrder, new_events: Sequence[Event], expected_version: int) -> None:
        """Store `order` (now at version expected_version + len(new_events)) if nobody else wrote
        since `expected_version`; otherwise raise VersionConflict and store nothing."""
        if not new_events:
            return
        if order.version != expected_version + len(new_events):
            raise ValueError(f"order {order.number} is at version {order.version}, "
                             f"not {expected_version} + {len(new_events)} new events")
        try:
            await run_write(self.engine, self._update, order, new_events, expected_version)
        except IntegrityError:
            # Another writer appended the same event seq first.
            raise VersionConflict(order.number, expected_version) from None

    @classmethod
    def _update(cls, conn: Connection, order: WorkOrder, new_events: Sequence[Event], expected_version: int) -> None:
        result = conn.execute(
            update(orders)
            .where(orders.c.number == order.number, orders.c.version == expected_version)
            .values(**order_row(order, new_events[-1].at))
        )
        if result.rowcount != 1:
            exists = conn.scalar(select(orders.c.number).where(orders.c.number == order.number))
            raise VersionConflict(order.number, expected_version) if exists else OrderNotFound(order.number)
        conn.execute(delete(order_units).where(order_units.c.order_number == order.number))
        conn.execute(insert(order_events), [event_row(order.number, e) for e in new_events])
        if units := unit_rows(order):
            conn.execute(insert(order_units), units)
        cls._link(conn, link_rows(order, new_events))

    @staticmethod
    def _link(conn: Connection, links: list[dict[str, str]]) -> None:
        """Link possible duplicates back to the orders they were found to duplicate, in the same
        transaction as the finding (a pair already linked stays as it is)."""
        if links:
            dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
            conn.execute(dialect.insert(duplicate_links).on_conflict_do_nothing(), links)

    # -- reads ----------------------------------------------------------------

    async def get(self, number: str) -> WorkOrder:
        """The order with its full history; OrderNotFound if there is none.

        The hot path of the API: two prebuilt statements (no per-call SQL construction)
        on one connection, the events limited to the snapshot's version."""
        return await run_read(self.engine, _get, number)

    async def events(self, number: str) -> list[Event]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(order_events).where(order_events.c.order_number == number).order_by(order_events.c.seq))
            return [event_from_row(r) for r in rows]

    async def get_many(self, numbers: Iterable[str]) -> list[WorkOrder]:
        """The existing orders among `numbers`, with history, in the order asked for."""
        wanted = list(dict.fromkeys(numbers))
        if not wanted:
            return []
        found: dict[str, WorkOrder] = {}
        for part in chunks(wanted):
            for o in await self._load(select(*_ORDER).where(orders.c.number.in_(part))):
                found[o.number] = o
        return [found[n] for n in wanted if n in found]

    async def search(
        self, *, status: Sequence[str] | None = None, unit: str | None = None, category: str | None = None,
        channel: str | None = None, card: str | None = None, text: str | None = None,
        received_from: datetime | None = None, received_to: datetime | None = None,
        numbers_in: Sequence[str] | None = None, limit: int | None = 50, offset: int = 0,
        with_history: bool = True,
    ) -> tuple[list[WorkOrder], int]:
        """Orders matching every given filter, newest received first, and the total count.
        Without history an order's `version` reads 0 (for filtering only, not for display).
        `unit` matches lead or co-unit; `text` is a substring of subject, content, enterprise or number;
        received_from is inclusive, received_to exclusive; `limit=None` returns all."""
        if numbers_in is not None and not numbers_in:
            return [], 0
        where = _filters(status=status, unit=unit, category=category, channel=channel, card=card, text=text,
                         received_from=received_from, received_to=received_to, numbers_in=numbers_in)
        query = select(*_ORDER).where(*where).order_by(*_NEWEST_FIRST)
        if limit is not None:
            query = query.limit(limit).offset(offset)
        elif offset:
            query = query.offset(offset)
        async with self.engine.connect() as conn:
            total = (await conn.execute(select(func.count()).select_from(orders).where(*where))).scalar_one()
        return await self._load(query, with_history=with_history), total

    async def deadline_rows(
        self, *, status: Sequence[str] | None = None, unit: str | None = None, category: str | None = None,
        channel: str | None = None, card: str | None = None, text: str | None = None,
        received_from: datetime | None = None, received_to: datetime | None = None,
    ) -> list[DeadlineRow]:
        """What deadline filters and orderings need of every order matching the filters (as in
        search): its number, receipt, preset and clocks, read out of the snapshot in the database.
        Decoding whole snapshots of every candidate cost 50 ms for a page of overdue orders."""
        where = _filters(status=status, unit=unit, category=category, channel=channel, card=card, text=text,
                         received_from=received_from, received_to=received_to, numbers_in=None)
        query = (select(orders.c.number, orders.c.received_at, orders.c.snapshot["preset"].as_string().label("preset"),
                        orders.c.snapshot["clocks"].label("clocks")).where(*where).order_by(*_NEWEST_FIRST))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [DeadlineRow(r.number, r.received_at, r.preset, tuple(clock_from_data(c) for c in r.clocks or ()))
                for r in rows]

    async def open_orders(self, statuses: Sequence[str], *, with_history: bool = False) -> list[WorkOrder]:
        """Orders in `statuses` for sweeps. Without history their `version` is 0: reload with get() to save."""
        query = select(orders.c.snapshot, orders.c.version).where(orders.c.status.in_(list(statuses)))
        return await self._load(query.order_by(orders.c.number), with_history=with_history)

    async def changed_since(self, since: datetime, *, limit: int = 5000) -> list[WorkOrder]:
        """Orders saved since ``since`` (oldest first), with history: for passes that replay recent events."""
        query = (select(*_ORDER).where(orders.c.updated_at >= since)
                 .order_by(orders.c.updated_at).limit(limit))
        return await self._load(query)

    async def with_cards(self) -> list[WorkOrder]:
        """Orders that ever received a card (snapshots without history)."""
        query = select(orders.c.snapshot, orders.c.version).where(orders.c.has_cards.is_(True))
        return await self._load(query.order_by(orders.c.number), with_history=False)

    async def find_recent(
        self, *, since: datetime, enterprise_name: str | None, phone: str | None, statuses: Sequence[str],
    ) -> list[Candidate]:
        """Candidates for duplicate detection: same enterprise name or phone, received since `since`,
        in `statuses`; newest first, at most 100. Only the columns the check needs are read."""
        if not enterprise_name and not phone:
            return []
        # Prebuilt statement: this runs on every new order. An absent name or phone is
        # bound as NULL, which matches nothing.
        query, params = _RECENT, {"since": since, "statuses": list(statuses),
                                  "name": enterprise_name or None, "phone": phone or None}
        rows = await run_read(self.engine, _all, query, params)
        seen: set[str] = set()  # an order of the same name and phone comes from both halves
        unique = [r for r in rows if not (r.number in seen or seen.add(r.number))][:RECENT_CAP]
        return [Candidate(r.number, Status(r.status), r.enterprise_name, r.enterprise_phone,
                          f"{r.subject} {r.content}", r.received_at) for r in unique]

    async def merged_into(self, number: str) -> list[str]:
        """The numbers of the orders merged into ``number`` (few: the status index narrows it first)."""
        query = (select(orders.c.number).where(orders.c.status == "merged",
                                               orders.c.snapshot["merged_into"].as_string() == number)
                 .order_by(orders.c.number))
        async with self.engine.connect() as conn:
            return [str(n) for n in (await conn.execute(query)).scalars()]

    async def _load(self, query: Select[Any], *, with_history: bool = True) -> list[WorkOrder]:
        """Run a (snapshot, version[, linked]) query; attach to each order its events seq <= version
        (and the possible duplicates linked to it, when the query read them: sweeps do not)."""
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).all()
            if not with_history:
                return [with_links(order_from_dict(r.snapshot), r._mapping.get("linked")) for r in rows]
            versions = {r.snapshot["number"]: r.version for r in rows}
            history: dict[str, list[Event]] = {n: [] for n in versions}
            for part in chunks(list(versions)):
                events = await conn.execute(
                    select(order_events).where(order_events.c.order_number.in_(part))
                    .order_by(order_events.c.order_number, order_events.c.seq))
                for r in events:
                    if r.seq <= versions[r.order_number]:
                        history[r.order_number].append(event_from_row(r))
        return [with_links(order_from_dict(r.snapshot, history[r.snapshot["number"]]), r._mapping.get("linked"))
                for r in rows]
