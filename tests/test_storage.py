"""callcenter.db: migrations, the order repository, units, users and tokens — on
SQLite always and on PostgreSQL when ZHITONG_TEST_DATABASE_URL is set (see conftest)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db import portal_tables  # noqa: F401  (the portal's tables are on the metadata too)
from callcenter.db.engine import create_engine
from callcenter.db.errors import OrderNotFound, VersionConflict
from callcenter.db.migrate import alembic_config, upgrade
from callcenter.db.orders import OrderRepository
from callcenter.db.tables import metadata, order_counters, order_events
from callcenter.db.units import UnitRepository
from callcenter.db.users import DuplicateUser, UserRepository
from worksheet.evolve import clock_to_data, evolve, replay
from worksheet.model import Clock, Event, Role, Status, WorkOrder

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 23, 9, 30, 0, 250000, tzinfo=SH)



@pytest.fixture
def repo(engine: AsyncEngine) -> OrderRepository:
    return OrderRepository(engine)


# -- building orders from hand-written events ---------------------------------

def ev(seq: int, kind: str, at: datetime, frm: Status | None, to: Status, data: dict[str, Any],
       actor: str = "agent1", role: Role = Role.AGENT, note: str = "") -> Event:
    return Event(seq, kind, at, actor, role, frm, to, note, data)


def created(number: str, *, at: datetime = T0, name: str = "涪城区华翔物流有限公司", phone: str | None = "13800138000",
            subject: str = "道路施工影响货物运输", content: str = "华翔路施工，货物无法运出。",
            channel: str = "phone", category: str = "help") -> tuple[WorkOrder, list[Event]]:
    e = ev(1, "create", at, None, Status.REGISTERED, {
        "number": number, "channel": channel, "category": category, "urgency": "normal",
        "subject": subject, "content": content, "received_at": at.isoformat(), "preset": "yicheng-2021",
        "attachments": ["录音-1.wav"],
        "enterprise": {"name": name, "credit_code": "91350100M000100Y43", "contact_person": "王经理", "phone": phone},
    })
    return evolve(None, e), [e]


def then(order: WorkOrder, kind: str, to: Status, data: dict[str, Any], at: datetime, **kw: Any) -> tuple[WorkOrder, Event]:
    e = ev(order.version + 1, kind, at, order.status, to, data, **kw)
    return evolve(order, e), e


def dispatched(order: WorkOrder, lead: str = "zjj", co: tuple[str, ...] = (), cycle: int = 1,
               at: datetime | None = None) -> tuple[WorkOrder, list[Event]]:
    at = at or order.received_at + timedelta(minutes=5)
    clocks = [clock_to_data(Clock("handling", "general", at, None, cycle))]
    new, e = then(order, "dispatch", Status.DISPATCHED,
                  {"lead_unit": lead, "co_units": list(co), "kind": "general", "cycle": cycle, "clocks": clocks}, at)
    return new, [e]


def full_life(number: str) -> tuple[WorkOrder, list[Event]]:
    """create → dispatch → accept → yellow+red card → reply → check → callback satisfied (closed)."""
    o, events = created(number)
    o, more = dispatched(o, "zjj", ("jtj",))
    events += more
    steps = [
        ("accept", Status.HANDLING, {}, T0 + timedelta(hours=1), {"actor": "h-zjj", "role": Role.UNIT_HANDLER}),
        ("issue-card", Status.HANDLING, {"color": "yellow", "unit": "zjj", "cycle": 1, "clock": "handling"},
         T0 + timedelta(days=4), {"actor": "sweeper", "role": Role.SYSTEM}),
        ("issue-card", Status.HANDLING, {"color": "red", "unit": "zjj", "cycle": 1, "clock": "handling"},
         T0 + timedelta(days=6), {"actor": "sweeper", "role": Role.SYSTEM}),
        ("reply", Status.REPLIED, {"content": "已协调施工方开放临时通道"}, T0 + timedelta(days=7),
         {"actor": "h-zjj", "role": Role.UNIT_HANDLER}),
        ("check", Status.CALLBACK_PENDING, {}, T0 + timedelta(days=7, hours=2), {}),
        ("callback-result", Status.CLOSED, {"rating": "satisfied"}, T0 + timedelta(days=8), {"note": "满意"}),
    ]
    for kind, to, data, at, kw in steps:
        o, e = then(o, kind, to, data, at, **kw)
        events.append(e)
    return o, events


# -- migrations -----------------------------------------------------------------

def _schema(sync_conn: Any) -> dict[str, Any]:
    insp = inspect(sync_conn)
    dialect = sync_conn.dialect
    return {
        t: {
            "columns": {c["name"]: (c["type"].compile(dialect), c["nullable"]) for c in insp.get_columns(t)},
            "pk": sorted(insp.get_pk_constraint(t)["constrained_columns"]),
            "fks": sorted((tuple(f["constrained_columns"]), f["referred_table"]) for f in insp.get_foreign_keys(t)),
            # PostgreSQL also reports the index behind each UNIQUE constraint; those are compared as "unique".
            "indexes": sorted(i["name"] for i in insp.get_indexes(t) if "duplicates_constraint" not in i),
            "unique": sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(t)),
        }
        for t in insp.get_table_names() if t != "alembic_version"
    }


def _expected(dialect: Any) -> dict[str, Any]:
    return {
        t.name: {
            "columns": {c.name: (c.type.compile(dialect), c.nullable) for c in t.columns},
            "pk": sorted(c.name for c in t.primary_key.columns),
            "fks": sorted(((f.parent.name,), f.column.table.name) for f in t.foreign_keys),
            "indexes": sorted(i.name for i in t.indexes),
            "unique": sorted((c.name,) for c in t.columns if c.unique),
        }
        for t in metadata.sorted_tables
    }


async def test_upgrade_creates_exactly_the_metadata_and_is_idempotent(db_url: str) -> None:
    await upgrade(db_url)
    await upgrade(db_url)  # at head: nothing to do
    eng = create_engine(db_url)
    try:
        async with eng.connect() as conn:
            assert await conn.run_sync(_schema) == _expected(conn.dialect)
            head = ScriptDirectory.from_config(alembic_config()).get_current_head()
            assert (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one() == head
    finally:
        await eng.dispose()


async def test_sqlite_connections_are_durable(tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/durable.sqlite3"
    await upgrade(url)
    engine = create_engine(url)
    async with engine.connect() as conn:
        pragmas = {p: (await conn.execute(text(f"PRAGMA {p}"))).scalar() for p in
                   ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
    await engine.dispose()
    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 30000}


async def test_sqlite_parent_directory_is_created(tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/a/b/zhitong.sqlite3"
    await upgrade(url)
    assert (tmp_path / "a" / "b" / "zhitong.sqlite3").exists()


# -- orders ---------------------------------------------------------------------

async def test_add_get_round_trip(repo: OrderRepository) -> None:
    order, events = full_life("20261123-0001")
    await repo.add(order, events)
    got = await repo.get(order.number)
    assert got == order
    assert got.history == tuple(events) and got.version == len(events) == 8
    assert replay(await repo.events(order.number)) == got
    assert got.received_at.utcoffset() == timedelta(hours=8)  # the snapshot keeps the offset it was given
    assert got.history[0].at.tzinfo == SH  # timestamp columns come back in Asia/Shanghai
    with pytest.raises(OrderNotFound):
        await repo.get("20261123-9999")


async def test_save_appends_events_and_keeps_row_equal_to_replay(repo: OrderRepository, engine: AsyncEngine) -> None:
    whole, all_events = full_life("20261123-0002")
    first = replay(all_events[:2])
    await repo.add(first, all_events[:2])
    assert (await repo.search(card="red"))[1] == 0
    await repo.save(replay(all_events[:5]), all_events[2:5], expected_version=2)
    assert [o.number for o in (await repo.search(card="red"))[0]] == ["20261123-0002"]
    await repo.save(whole, all_events[5:], expected_version=5)
    stored = await repo.get(whole.number)
    assert stored == whole == replay(stored.history)
    async with engine.connect() as conn:
        row = (await conn.execute(text("SELECT version, status, card, lead_unit FROM orders"))).one()
    assert tuple(row) == (8, "closed", "red", "zjj")


async def test_stale_save_is_a_version_conflict(repo: OrderRepository) -> None:
    order, events = created("20261123-0003")
    await repo.add(order, events)
    moved, more = dispatched(order)
    await repo.save(moved, more, expected_version=1)
    with pytest.raises(VersionConflict) as info:
        await repo.save(moved, more, expected_version=1)
    assert info.value.error_id == "version-conflict" and info.value.expected == 1
    ghost, ghost_events = created("20261123-0404")
    d, e = dispatched(ghost)
    with pytest.raises(OrderNotFound):
        await repo.save(d, e, expected_version=1)


async def test_concurrent_saves_exactly_one_wins(engine: AsyncEngine, db_url: str) -> None:
    order, events = created("20261123-0004")
    await OrderRepository(engine).add(order, events)
    other = create_engine(db_url)
    try:
        a, b = OrderRepository(engine), OrderRepository(other)
        base_a, base_b = await a.get(order.number), await b.get(order.number)
        to_a = dispatched(base_a, "zjj")
        to_b = dispatched(base_b, "jtj", ("sjj",))
        results = await asyncio.gather(
            a.save(to_a[0], to_a[1], expected_version=1), b.save(to_b[0], to_b[1], expected_version=1),
            return_exceptions=True)
        assert sorted(type(r).__name__ for r in results) == ["NoneType", "VersionConflict"]
        winner = to_a[0] if results[0] is None else to_b[0]
        stored = await b.get(order.number)
        assert stored == winner == replay(stored.history)
        assert [o.number for o in (await a.search(unit=winner.lead_unit))[0]] == [order.number]
    finally:
        await other.dispose()


async def test_next_number_is_atomic_under_concurrency(repo: OrderRepository, engine: AsyncEngine) -> None:
    day = date(2026, 11, 23)
    numbers = await asyncio.gather(*(repo.next_number(day) for _ in range(50)))
    assert sorted(numbers) == [f"20261123-{i:04d}" for i in range(1, 51)]
    assert await repo.next_number(date(2026, 11, 24)) == "20261124-0001"
    async with engine.begin() as conn:
        await conn.execute(update(order_counters).where(order_counters.c.day == "20261124").values(last=9999))
    assert await repo.next_number(date(2026, 11, 24)) == "20261124-10000"


async def test_search_filters(repo: OrderRepository) -> None:
    o1, e1 = created("20261123-0001", at=T0, category="complaint", name="华翔物流")
    o1, more = dispatched(o1, "zjj", ("jtj",))
    await repo.add(o1, e1 + more)
    o2, e2 = created("20261123-0002", at=T0 + timedelta(hours=1), channel="web", subject="100%退税 问题",
                     name="绵阳科技", phone=None)
    o2, more = dispatched(o2, "jtj")
    o2, card = then(o2, "issue-card", Status.DISPATCHED, {"color": "yellow", "unit": "jtj", "cycle": 1,
                                                           "clock": "contact"}, T0 + timedelta(days=1))
    await repo.add(o2, e2 + more + [card])
    o3, e3 = created("20261124-0001", at=T0 + timedelta(days=1), content="Road works near FACTORY")
    await repo.add(o3, e3)

    async def numbers(**kw: Any) -> tuple[list[str], int]:
        found, total = await repo.search(**kw)
        return [o.number for o in found], total

    everything = (["20261124-0001", "20261123-0002", "20261123-0001"], 3)
    assert await numbers() == everything
    assert await numbers(status=["dispatched"]) == (["20261123-0002", "20261123-0001"], 2)
    assert await numbers(status=["registered", "closed"]) == (["20261124-0001"], 1)
    assert await numbers(unit="jtj") == (["20261123-0002", "20261123-0001"], 2)  # lead or co-unit
    assert await numbers(unit="zjj") == (["20261123-0001"], 1)
    assert await numbers(unit="nobody") == ([], 0)
    assert await numbers(category="complaint") == (["20261123-0001"], 1)
    assert await numbers(channel="web") == (["20261123-0002"], 1)
    assert await numbers(card="yellow") == (["20261123-0002"], 1)
    assert await numbers(card="red") == ([], 0)
    assert await numbers(text="100%") == (["20261123-0002"], 1)
    assert await numbers(text="0%") == (["20261123-0002"], 1)
    assert await numbers(text="_") == ([], 0)  # LIKE wildcards are literal
    assert await numbers(text="factory") == (["20261124-0001"], 1)  # case-insensitive on both databases
    assert await numbers(text="华翔物流") == (["20261124-0001", "20261123-0001"], 2)
    assert await numbers(text="20261124") == (["20261124-0001"], 1)
    assert await numbers(received_from=T0 + timedelta(hours=1)) == (everything[0][:2], 2)
    assert await numbers(received_to=T0 + timedelta(hours=1)) == (["20261123-0001"], 1)
    assert await numbers(received_from=(T0 + timedelta(minutes=30)).astimezone(UTC),
                         received_to=T0 + timedelta(days=1)) == (["20261123-0002"], 1)
    assert await numbers(numbers_in=["20261123-0001", "20261124-0001", "x"]) == (["20261124-0001", "20261123-0001"], 2)
    assert await numbers(numbers_in=[]) == ([], 0)
    assert await numbers(limit=1, offset=1) == (["20261123-0002"], 3)
    assert await numbers(limit=None, offset=2) == (["20261123-0001"], 3)
    assert await numbers(status=["dispatched"], unit="jtj", text="退税", channel="web") == (["20261123-0002"], 1)
    found, _ = await repo.search(unit="zjj")
    assert found == [o1] and found[0].version == 2  # lists carry history, so the version is right


async def test_bulk_reads(repo: OrderRepository) -> None:
    a, ea = created("20261123-0001", at=T0)
    b, eb = created("20261123-0002", at=T0 + timedelta(hours=2), name="另一家公司", phone="13900000000")
    b, more = dispatched(b)
    c, ec = created("20261120-0001", at=T0 - timedelta(days=3))
    for o, e in ((a, ea), (b, eb + more), (c, ec)):
        await repo.add(o, e)
    assert await repo.get_many(["20261123-0002", "nope", "20261123-0001"]) == [b, a]
    assert await repo.get_many([]) == []
    assert [o.number for o in await repo.open_orders(["dispatched"])] == ["20261123-0002"]
    assert await repo.open_orders(["dispatched"], with_history=True) == [b]
    assert {o.number for o in await repo.open_orders(["registered", "dispatched"])} == {
        "20261120-0001", "20261123-0001", "20261123-0002"}
    recent = await repo.find_recent(since=T0 - timedelta(days=1), enterprise_name="涪城区华翔物流有限公司",
                                    phone=None, statuses=["registered", "dispatched"])
    assert [o.number for o in recent] == ["20261123-0001"]
    recent = await repo.find_recent(since=T0 - timedelta(days=7), enterprise_name="nobody",
                                    phone="13900000000", statuses=["dispatched"])
    assert [o.number for o in recent] == ["20261123-0002"]
    assert await repo.find_recent(since=T0, enterprise_name=None, phone=None, statuses=["registered"]) == []


async def test_duplicate_candidates_are_the_newest_few_of_phone_or_name_however_long_the_history(
        repo: OrderRepository) -> None:
    # 150 orders from one phone (two enterprise names), one more under the name only: the check
    # reads the newest 100 of either party, each order once, newest first.
    for i in range(150):
        await repo.add(*created(f"20261122-{i + 1:04d}", at=T0 - timedelta(hours=150 - i),
                                name="企业甲" if i % 2 else "企业乙", phone="13800138000"))
    await repo.add(*created("20261123-0001", at=T0, name="企业甲", phone="02812345"))
    recent = await repo.find_recent(since=T0 - timedelta(days=30), enterprise_name="企业甲", phone="13800138000",
                                    statuses=["registered"])
    numbers = [c.number for c in recent]
    assert len(numbers) == 100 == len(set(numbers))
    assert numbers[0] == "20261123-0001" and numbers[1:] == [f"20261122-{i:04d}" for i in range(150, 51, -1)]
    assert [c.number for c in await repo.find_recent(since=T0 - timedelta(hours=2), enterprise_name=None,
                                                     phone="13800138000", statuses=["registered"])] == [
        "20261122-0150", "20261122-0149"]


async def test_events_are_append_only_and_times_must_be_aware(repo: OrderRepository, engine: AsyncEngine) -> None:
    order, events = created("20261123-0001")
    await repo.add(order, events)
    with pytest.raises(DBAPIError):
        async with engine.begin() as conn:
            await conn.execute(update(order_events).values(note="rewritten history"))
    with pytest.raises(DBAPIError):
        async with engine.begin() as conn:
            await conn.execute(order_events.delete())
    naive = replace(order, number="20261123-0002", received_at=T0.replace(tzinfo=None))
    with pytest.raises(StatementError, match="naive datetime"):
        await repo.add(naive, [replace(events[0], at=T0)])
    assert await repo.get(order.number) == order


# -- units, users, tokens -------------------------------------------------------

async def test_units(engine: AsyncEngine) -> None:
    units = UnitRepository(engine)
    await units.upsert_many([{"code": "zjj", "name": "涪城区住房和城乡建设局", "short_name": "住建局"},
                             {"code": "jtj", "name": "涪城区交通运输局", "short_name": "交通局"}])
    await units.upsert_many([{"code": "zjj", "name": "涪城区住建局", "short_name": "住建"}])
    assert [u["code"] for u in await units.list()] == ["jtj", "zjj"]
    assert await units.get("zjj") == {"code": "zjj", "name": "涪城区住建局", "short_name": "住建", "active": True}
    assert await units.get("nope") is None
    with pytest.raises(IntegrityError):  # names are unique
        await units.upsert_many([{"code": "new", "name": "涪城区交通运输局", "short_name": "x"}])


async def test_users_and_tokens(engine: AsyncEngine) -> None:
    await UnitRepository(engine).upsert_many([{"code": "zjj", "name": "住建局", "short_name": "住建局"}])
    users = UserRepository(engine)
    assert await users.count() == 0
    uid = await users.add("alice", "$argon2id$hash", "unit_handler", "zjj")
    await users.add("bob", "$argon2id$hash2", "agent", None)
    with pytest.raises(DuplicateUser) as info:
        await users.add("alice", "other", "agent", None)
    assert info.value.error_id == "duplicate-user"
    with pytest.raises(IntegrityError):  # unknown unit: a foreign-key error, not a "duplicate"
        await users.add("carol", "h", "unit_handler", "no-such-unit")
    assert await users.count() == 2
    alice = await users.get_by_username("alice")
    assert alice is not None and (alice.id, alice.role, alice.unit_code, alice.active) == (uid, "unit_handler", "zjj", True)
    assert await users.get_by_username("nobody") is None

    digest = "ab" * 32
    expires = datetime.now(UTC) + timedelta(hours=1)
    await users.add_token(uid, digest, "cli", expires)
    assert await users.user_for_token(digest) == (alice, expires)
    assert await users.user_for_token("cd" * 32) is None
    await users.revoke(digest)
    assert await users.user_for_token(digest) is None
    await users.add_token(uid, "ef" * 32, "old", datetime.now(UTC) - timedelta(seconds=1))
    assert await users.user_for_token("ef" * 32) is None  # expired
