"""Benchmark: 10,000 due satisfaction callbacks (回访) dispatched by two worker processes.

    python bench/callbacks_bench.py [--jobs 10000] [--workers 2] [--batch 10] [--dial-ms 0]
        [--db postgresql|sqlite] [--database-url postgresql+asyncpg://zhitong:zhitong@127.0.0.1:5432/zhitong_bench]
        [--keep]

Prepare (not timed): migrate a fresh database (PostgreSQL: CREATE DATABASE when the role may, else the
existing database's `public` schema is dropped and recreated; SQLite: a temp file), take one order
through the real OrderService (create → dispatch → accept → reply → check passed), whose observer
schedules its callback job, then add the other orders by the same pure lifecycle
(`worksheet.lifecycle`) and the real repository insert, plus one `scheduled` job each, all due at
09:30 on Monday 2026-11-23 (Asia/Shanghai). The workers run at 10:00, inside the 09:00–12:00 window.

Measure: N worker *processes* (spawned: own interpreter, event loop, engine and pool, like app nodes)
wait on a start gate, then each calls `CallbackService.run_due(now)` with a recording fake dialer
until no due job is left. Printed: wall time, dials/s overall and per worker, the split of jobs,
double dials (an order dialled more than once) and missing dials (a job never dialled) — both must
be 0 — plus a check of the table afterwards (each job `dialling` once, with the recorded ActionID).
PostgreSQL load comes from `pg_stat_database` before/after (read from the `postgres` database so the
bench's own reads are not counted, after the workers' backends exited and flushed their counters),
`pg_stat_user_tables` for callback_jobs, lock waits sampled from `pg_stat_activity` every 50 ms, and
`pg_stat_statements` when it is usable. SQL statements per dial are counted client-side.

Exits 1 on any double or missing dial, or a job left in an unexpected state.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Connection, event, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from callcenter.app import build_services  # noqa: E402
from callcenter.callbacks.jobs import CallbackJobRepository  # noqa: E402
from callcenter.callbacks.services import CallbackService  # noqa: E402
from callcenter.callbacks.table import callback_jobs  # noqa: E402
from callcenter.db.direct import run_write  # noqa: E402
from callcenter.db.migrate import upgrade  # noqa: E402
from callcenter.db.orders import OrderRepository  # noqa: E402
from callcenter.db.tables import orders as orders_table  # noqa: E402
from callcenter.settings import Settings  # noqa: E402
from worksheet import commands as c  # noqa: E402
from worksheet.callbacks import CallingWindows, RetryPolicy  # noqa: E402
from worksheet.intake import NewOrder  # noqa: E402
from worksheet.lifecycle import create_order, handle  # noqa: E402
from worksheet.model import Actor, Category, Channel, Enterprise, Role, Status  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
RECEIVED = datetime(2026, 11, 23, 8, 0, tzinfo=SH)  # a Monday (a working day)
CHECKED = datetime(2026, 11, 23, 9, 30, tzinfo=SH)  # the check passes inside the 09:00–12:00 window
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)  # the workers' run_due(now)
DEFAULT_PG_URL = "postgresql+asyncpg://zhitong:zhitong@127.0.0.1:5432/zhitong_bench"
UNIT = "jtj"
AGENT, HANDLER, BOSS = Actor("agent", Role.AGENT), Actor("h", Role.UNIT_HANDLER, UNIT), Actor("boss", Role.SUPERVISOR)
PG_COUNTERS = ("xact_commit", "xact_rollback", "tup_returned", "tup_fetched", "tup_inserted", "tup_updated",
               "tup_deleted", "blks_read", "blks_hit", "deadlocks", "conflicts", "temp_files")


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# --- preparation ------------------------------------------------------------------------------


def spec(i: int) -> NewOrder:
    return NewOrder(channel=Channel.PHONE, category=Category.HELP,
                    enterprise=Enterprise(name=f"绵阳回访测试企业{i:05d}有限公司", phone=f"138{i:08d}"),
                    subject="道路施工影响货物运输", content=f"华翔路施工，货物无法运出（{i}）。", received_at=RECEIVED)


def lifecycle_steps() -> list[tuple[c.Command, datetime]]:
    return [(c.Dispatch(actor=AGENT, lead_unit=UNIT), RECEIVED + timedelta(minutes=10)),
            (c.Accept(actor=HANDLER), RECEIVED + timedelta(minutes=20)),
            (c.Reply(actor=HANDLER, content="已协调施工方预留通道"), RECEIVED + timedelta(minutes=60)),
            (c.Check(actor=BOSS, passed=True), CHECKED)]


async def reset_postgres(url: str) -> bool:
    """A fresh, empty database at `url`. True if we created it (so we may drop it afterwards)."""
    name = make_url(url).database
    admin = create_async_engine(make_url(url).set(database="postgres"), poolclass=NullPool,
                                isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            may_create = await conn.scalar(text(
                "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"))
            if may_create:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
                return True
    finally:
        await admin.dispose()
    # No CREATEDB: reuse the database (created by a superuser: createdb -O <role> <name>), fresh schema.
    print(f"  (the role may not create databases: resetting the public schema of {name})")
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()
    return False


async def drop_postgres(url: str) -> None:
    admin = create_async_engine(make_url(url).set(database="postgres"), poolclass=NullPool,
                                isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def prepare(url: str, jobs: int) -> list[str]:
    """Migrate, then `jobs` orders in callback_pending, each with one scheduled job due before NOW."""
    await upgrade(url)
    clock = FixedClock(RECEIVED)
    services = build_services(Settings(database_url=url), clock=clock)
    try:
        await services.units.upsert_many([{"code": UNIT, "name": "交通运输局"}])
        # One order through the real service; its observer schedules the callback (CallbackService.schedule_for).
        first = (await services.orders.create(spec(0), AGENT)).number
        for command, at in lifecycle_steps():
            clock.now = at
            order = await services.orders.act(first, command)
        assert order.status == Status.CALLBACK_PENDING, order.status
        repo = CallbackJobRepository(services.engine)
        template = await repo.for_cycle(first, order.cycle)
        assert template is not None and template.status == "scheduled" and template.due_at <= NOW, template
        numbers = [first]
        # The others: the same pure lifecycle the service runs, stored by the real repository insert.
        orders = OrderRepository(services.engine)
        policy, steps = services.policy, lifecycle_steps()
        for start in range(1, jobs, 500):
            count = min(500, jobs - start)
            def store(conn: Connection, start: int = start, count: int = count) -> list[str]:
                reserved = orders._reserve(conn, RECEIVED.date(), count)
                items = []
                for i, number in enumerate(reserved, start):
                    o, events = create_order(spec(i), number, AGENT, RECEIVED, policy)
                    for command, at in steps:
                        o, more = handle(command, o, at, policy)
                        events = events + more
                    items.append((o, events))
                orders._insert_many(conn, items)
                conn.execute(insert(callback_jobs), [
                    {"order_number": o.number, "cycle": o.cycle, "phone": o.enterprise.phone, "status": "scheduled",
                     "attempts": 0, "due_at": template.due_at, "created_at": CHECKED, "updated_at": CHECKED}
                    for o, _ in items])
                return reserved

            numbers += await run_write(services.engine, store)
        async with services.engine.connect() as conn:
            pending = await conn.scalar(select(func.count()).select_from(orders_table)
                                        .where(orders_table.c.status == Status.CALLBACK_PENDING.value))
            due = await conn.scalar(select(func.count()).select_from(callback_jobs)
                                    .where(callback_jobs.c.status == "scheduled", callback_jobs.c.due_at <= NOW))
        assert pending == due == jobs, (pending, due, jobs)
        if services.engine.dialect.name == "postgresql":
            async with services.engine.begin() as conn:
                for table in ("orders", "order_events", "order_units", "callback_jobs"):
                    await conn.execute(text(f"ANALYZE {table}"))
        return numbers
    finally:
        await services.engine.dispose()


# --- the workers --------------------------------------------------------------------------------


@dataclass
class RecordingDialer:
    """Records every originate as (order_number, channel_id, pid, action_id); optional AMI latency."""

    delay: float = 0.0
    calls: list[tuple[str, str, int, str]] = field(default_factory=list)
    pid: int = field(default_factory=os.getpid)

    async def originate(self, *, order_number: str, phone: str, channel_id: str) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        action_id = f"bench-{self.pid}-{len(self.calls) + 1}"
        self.calls.append((order_number, channel_id, self.pid, action_id))
        return action_id


async def _worker(url: str, batch: int, dial_ms: float, ready: Any, go: Any) -> dict[str, Any]:
    services = build_services(Settings(database_url=url), clock=FixedClock(NOW))
    engine = services.engine
    statements = Counter[str]()

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements[statement.split(None, 1)[0].upper()] += 1

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _checkout(*args: Any) -> None:  # with pool_pre_ping, each checkout pings first
        statements["(pool checkouts)"] += 1

    dialer = RecordingDialer(dial_ms / 1000)
    svc = CallbackService(CallbackJobRepository(engine), services.orders, services.clock,
                          CallingWindows(services.policy.calendar), RetryPolicy(), dialer, batch=batch)
    due = select(func.count()).select_from(callback_jobs).where(callback_jobs.c.status == "scheduled",
                                                                 callback_jobs.c.due_at <= NOW)
    async with engine.connect() as conn:  # warm up: connection, dialect init
        await conn.scalar(due)
    statements.clear()
    ready.set()
    await asyncio.to_thread(go.wait)
    started = time.monotonic()
    claimed = cancelled = failed = rounds = empty = 0
    while True:
        report = await svc.run_due(NOW)
        rounds += 1
        claimed += report.claimed
        cancelled += len(report.cancelled)
        failed += len(report.failed)
        if report.claimed == 0:  # nothing left that this node could lock: is anything still due?
            empty += 1
            async with engine.connect() as conn:
                if not await conn.scalar(due):
                    break
            await asyncio.sleep(0.001)
    finished = time.monotonic()
    await engine.dispose()  # close the backends, so PostgreSQL flushes their statistics
    return {"pid": os.getpid(), "started": started, "finished": finished, "claimed": claimed,
            "cancelled": cancelled, "failed": failed, "rounds": rounds, "empty_rounds": empty,
            "statements": dict(statements), "calls": dialer.calls}


def worker_main(url: str, batch: int, dial_ms: float, ready: Any, go: Any, out: Any) -> None:
    try:
        out.send(asyncio.run(_worker(url, batch, dial_ms, ready, go)))
    except BaseException as exc:
        ready.set()
        out.send({"error": f"{type(exc).__name__}: {exc}", "pid": os.getpid()})
        raise
    finally:
        out.close()


# --- PostgreSQL statistics ----------------------------------------------------------------------


class PgStats:
    """Reads the bench database's counters from the `postgres` database (its own queries do not count)."""

    def __init__(self, url: str) -> None:
        self.name = make_url(url).database
        self.engine = create_async_engine(make_url(url).set(database="postgres"), poolclass=NullPool,
                                          isolation_level="AUTOCOMMIT")
        self.lock_samples: list[int] = []

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until no backend is connected to the bench database (their counters are flushed at exit)."""
        deadline = time.monotonic() + timeout
        async with self.engine.connect() as conn:
            while time.monotonic() < deadline:
                n = await conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d"),
                                      {"d": self.name})
                if not n:
                    break
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)

    async def snapshot(self) -> dict[str, int]:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            row = (await conn.execute(text(f"SELECT {', '.join(PG_COUNTERS)} FROM pg_stat_database WHERE datname = :d"),
                                      {"d": self.name})).one()
        return dict(row._mapping)

    async def sample_locks(self, stop: asyncio.Event, every: float = 0.05) -> None:
        query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d AND wait_event_type = 'Lock'")
        async with self.engine.connect() as conn:
            while not stop.is_set():
                self.lock_samples.append(int(await conn.scalar(query, {"d": self.name}) or 0))
                try:
                    await asyncio.wait_for(stop.wait(), every)
                except TimeoutError:
                    pass

    async def close(self) -> None:
        await self.engine.dispose()


async def table_stats(url: str) -> dict[str, int]:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(text(
                "SELECT n_tup_upd, n_tup_hot_upd, seq_scan, idx_scan, n_dead_tup FROM pg_stat_user_tables "
                "WHERE relname = 'callback_jobs'"))).one()
            return dict(row._mapping)
    finally:
        await engine.dispose()


async def statement_stats(url: str) -> list[tuple[int, float, str]] | None:
    """Top statements on the bench database when pg_stat_statements is installed and loaded; else None."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text(
                "SELECT s.calls, s.total_exec_time, s.query FROM pg_stat_statements s "
                "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database() "
                "ORDER BY s.calls DESC LIMIT 8"))
            return [(r.calls, r.total_exec_time, r.query) for r in rows]
    except DBAPIError:
        return None
    finally:
        await engine.dispose()


# --- analysis ---------------------------------------------------------------------------------------


def analyse(expected: list[str], calls: list[tuple[str, str, int, str]]) -> dict[str, Any]:
    """Double dials (an order dialled more than once), missing dials (an expected order never dialled),
    unexpected dials (an order that had no job) and the split of dials between worker pids."""
    per_order = Counter(order for order, *_ in calls)
    wanted = set(expected)
    return {
        "dials": len(calls),
        "double": sorted(n for n, k in per_order.items() if k > 1),
        "missing": sorted(wanted - per_order.keys()),
        "unexpected": sorted(per_order.keys() - wanted),
        "by_pid": Counter(pid for _, _, pid, _ in calls),
    }


async def check_table(url: str, calls: list[tuple[str, str, int, str]]) -> list[str]:
    """Problems in callback_jobs after the run: every job must be `dialling`, attempt 1, with the ActionID
    and channel the dialer returned for its order."""
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(callback_jobs.c.order_number, callback_jobs.c.status,
                                              callback_jobs.c.attempts, callback_jobs.c.action_id,
                                              callback_jobs.c.channel_id))).all()
    finally:
        await engine.dispose()
    last = {order: (channel, action) for order, channel, _, action in calls}
    problems = [f"{n} job(s) {s}" for s, n in Counter(r.status for r in rows).items() if s != "dialling"]
    if bad := [r.order_number for r in rows if r.attempts != 1]:
        problems.append(f"{len(bad)} job(s) with attempts != 1, e.g. {bad[:3]}")
    if bad := [r.order_number for r in rows if r.status == "dialling" and r.action_id is None]:
        problems.append(f"{len(bad)} job(s) left dialling without an ActionID, e.g. {bad[:3]}")
    if bad := [r.order_number for r in rows
               if r.action_id is not None and last.get(r.order_number) != (r.channel_id, r.action_id)]:
        problems.append(f"{len(bad)} job(s) whose ActionID/channel is not the dialer's, e.g. {bad[:3]}")
    return problems


# --- the run ----------------------------------------------------------------------------------------


def start_workers(url: str, workers: int, batch: int, dial_ms: float) -> tuple[list[Any], list[Any], Any]:
    ctx = mp.get_context("spawn")
    go = ctx.Event()
    procs, pipes = [], []
    for _ in range(workers):
        ready = ctx.Event()
        receive, send = ctx.Pipe(duplex=False)
        p = ctx.Process(target=worker_main, args=(url, batch, dial_ms, ready, go, send), daemon=True)
        p.start()
        send.close()
        procs.append((p, ready))
        pipes.append(receive)
    return procs, pipes, go


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Prepare, run the workers, analyse. Returns the results (also used by the test)."""
    tmp = None
    if args.db == "sqlite":
        tmp = tempfile.TemporaryDirectory(prefix="callbacks-bench-")
        url = f"sqlite+aiosqlite:///{tmp.name}/bench.sqlite3"
    else:
        url = args.database_url
    pg = url.startswith("postgresql")
    say = print if not args.quiet else (lambda *a, **k: None)
    created = False
    try:
        t0 = time.perf_counter()
        if pg:
            created = await reset_postgres(url)
        expected = await prepare(url, args.jobs)
        say(f"prepared {args.jobs} orders in callback_pending with due jobs ({make_url(url).render_as_string()}) "
            f"in {time.perf_counter() - t0:.1f} s")

        stats = PgStats(url) if pg else None
        before: dict[str, int] = {}
        if stats:
            await stats.settle()
            before = await stats.snapshot()
        procs, pipes, go = start_workers(url, args.workers, args.batch, args.dial_ms)
        for p, ready in procs:
            while not await asyncio.to_thread(ready.wait, 0.5):
                if not p.is_alive():
                    raise RuntimeError(f"worker {p.pid} exited with {p.exitcode} before it was ready")
        stop = asyncio.Event()
        sampler = asyncio.create_task(stats.sample_locks(stop)) if stats else None
        go.set()
        results = [await asyncio.to_thread(pipe.recv) for pipe in pipes]
        stop.set()
        if sampler:
            await sampler
        for p, _ in procs:
            p.join(30)
        if errors := [r for r in results if "error" in r]:
            raise RuntimeError(f"worker(s) failed: {errors}")
        after: dict[str, int] = {}
        if stats:
            await stats.settle()
            after = await stats.snapshot()

        calls = [call for r in results for call in r["calls"]]
        result = analyse(expected, calls)
        result["problems"] = await check_table(url, calls)
        wall = max(r["finished"] for r in results) - min(r["started"] for r in results)
        result.update(wall=wall, workers=results, db={k: after[k] - before[k] for k in after} if stats else None)
        if stats:
            result["locks"] = stats.lock_samples
            result["table"] = await table_stats(url)
            result["statements_pgss"] = await statement_stats(url)
            await stats.close()
        report(args, result, say)
        return result
    finally:
        if pg and created and not args.keep:
            await drop_postgres(url)
        if tmp is not None:
            tmp.cleanup()


def report(args: argparse.Namespace, r: dict[str, Any], say: Any) -> None:
    dials, wall = r["dials"], r["wall"]
    say(f"\n{args.db}: {args.jobs} due callbacks, {args.workers} worker processes, batch {args.batch}, "
        f"dial latency {args.dial_ms:g} ms")
    say(f"  wall time            {wall:.3f} s  (first worker start → last worker done)")
    say(f"  dispatch rate        {dials / wall:,.0f} dials/s overall")
    for w in r["workers"]:
        n = r["by_pid"].get(w["pid"], 0)
        busy = w["finished"] - w["started"]
        say(f"  worker pid {w['pid']:<7} {n:>6} dials ({n / max(dials, 1):6.1%}) in {busy:.3f} s = "
            f"{n / busy:,.0f}/s; claimed {w['claimed']}, cancelled {w['cancelled']}, failed {w['failed']}, "
            f"run_due calls {w['rounds']} ({w['empty_rounds']} empty)")
    statements = Counter[str]()
    for w in r["workers"]:
        statements.update(w["statements"])
    checkouts = statements.pop("(pool checkouts)", 0)
    total = sum(statements.values())
    say(f"  SQL statements/dial  {total / max(dials, 1):.2f} (client-side: "
        + ", ".join(f"{k} {v}" for k, v in statements.most_common()) + ")")
    say(f"  pool checkouts/dial  {checkouts / max(dials, 1):.2f} (PostgreSQL: each also a pool_pre_ping BEGIN; ping; ROLLBACK)")
    say(f"  double dials         {len(r['double'])}" + (f"  e.g. {r['double'][:5]}" if r["double"] else ""))
    say(f"  missing dials        {len(r['missing'])}" + (f"  e.g. {r['missing'][:5]}" if r["missing"] else ""))
    if r["unexpected"]:
        say(f"  unexpected dials     {len(r['unexpected'])}  e.g. {r['unexpected'][:5]}")
    say(f"  table check          {'; '.join(r['problems']) or 'ok (every job dialling, attempt 1, ActionID recorded)'}")
    if r.get("db"):
        d = r["db"]
        xacts = d["xact_commit"] + d["xact_rollback"]
        blocks = d["blks_hit"] + d["blks_read"]
        say("  PostgreSQL (pg_stat_database delta for the bench database):")
        say(f"    xact_commit {d['xact_commit']:,}  xact_rollback {d['xact_rollback']:,}  "
            f"→ {d['xact_commit'] / max(dials, 1):.2f} commits/dial, {xacts / max(dials, 1):.2f} transactions/dial")
        say(f"    tup_returned {d['tup_returned']:,}  tup_fetched {d['tup_fetched']:,}  tup_inserted "
            f"{d['tup_inserted']:,}  tup_updated {d['tup_updated']:,}  tup_deleted {d['tup_deleted']:,}")
        say(f"    blks_hit {d['blks_hit']:,}  blks_read {d['blks_read']:,}  "
            f"(hit ratio {d['blks_hit'] / max(blocks, 1):.2%}; {blocks / max(dials, 1):.1f} blocks/dial)")
        say(f"    deadlocks {d['deadlocks']}  conflicts {d['conflicts']}  temp_files {d['temp_files']}")
        locks = r["locks"]
        waiting = sum(1 for n in locks if n)
        say(f"    lock waits (pg_stat_activity every 50 ms): {waiting} of {len(locks)} samples had a backend "
            f"waiting on a lock (max {max(locks, default=0)})")
        t = r["table"]
        say(f"    callback_jobs: {t['n_tup_upd']:,} updates ({t['n_tup_hot_upd']:,} HOT), seq_scan {t['seq_scan']}, "
            f"idx_scan {t['idx_scan']}, dead tuples {t['n_dead_tup']:,} (cumulative since creation)")
        if r["statements_pgss"] is None:
            say("    pg_stat_statements: not available (not in shared_preload_libraries / not installed)")
        else:
            say("    pg_stat_statements (top by calls, cumulative):")
            for calls, ms, query in r["statements_pgss"]:
                say(f"      {calls:>8} calls {ms:9.1f} ms  {' '.join(query.split())[:90]}")
    ok = not (r["double"] or r["missing"] or r["unexpected"] or r["problems"])
    say(f"  result               {'OK' if ok else 'FAILED'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jobs", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=10, help="CallbackService batch (jobs per claim)")
    ap.add_argument("--dial-ms", type=float, default=0.0, help="simulated AMI Originate latency per dial")
    ap.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    ap.add_argument("--database-url", default=DEFAULT_PG_URL,
                    help="PostgreSQL database to (re)create and drop; its schema is wiped if it cannot be created")
    ap.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    result = asyncio.run(run(args))
    if result["double"] or result["missing"] or result["unexpected"] or result["problems"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
