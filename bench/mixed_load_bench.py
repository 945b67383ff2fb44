"""Benchmark: 50 clients of mixed hotline traffic for 60 s against real `zhitong serve` processes.

    python bench/mixed_load_bench.py [--setups sqlite1,sqlite2,pg1,pg2] [--clients 50] [--seconds 60]
        [--seed-orders 3000] [--pg-url postgresql+asyncpg://zhitong:zhitong@127.0.0.1:5432/zhitong_bench_g]

Setups: `sqlite1`/`sqlite2` = one `zhitong serve --workers 1|2` on a fresh SQLite file; `pg1` = one
app process on PostgreSQL; `pg2` = two app processes (two `zhitong serve` on two ports, as two app
nodes would run) sharing the PostgreSQL database, clients spread over them. Every setup starts from
an empty database (`--pg-url`'s database is dropped and created again, or its `public` schema when
the role may not create databases: never point it at data you keep).

Each setup: migrate, load the demo units, add agents, supervisors and one handler per unit (8 units),
seed `--seed-orders` orders over 5,000 enterprises/phones, then `--clients` closed-loop clients for
`--seconds`: 70 % reads (list with filters, detail, search), 20 % lifecycle actions (dispatch, accept,
return, redispatch, request/decide extension, reply, check, callback; each order held by one client
at a time, so no version conflicts are expected), 10 % creates, 2 points of the reads are logins
(argon2). Prints per kind p50/p99/max, throughput, errors (every non-2xx: none is expected), the
reads' p99 while a login was in flight vs not, the server processes' CPU seconds per
request and their RSS over time (flat = the floor of the last third of the samples within 10 % of
the floor of the first third after a quarter of warm-up; floors, because each argon2 login holds
64 MiB for a moment).
Targets (issue 15): p99 < 100 ms reads and actions, < 150 ms creates, 0 errors, RSS flat; PostgreSQL
2 processes ≥ 1.6× one. Not a test: it never fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mixed_traffic as mt  # noqa: E402
from load_common import (  # noqa: E402
    PASSWORD,
    RssSampler,
    cpu_seconds,
    free_port,
    process_tree,
    reset_postgres,
    rss_summary,
    start_server,
    stop_server,
    wait_up,
    zhitong,
)

UNITS = 8
AGENTS, SUPERVISORS = 10, 5
PG_URL = "postgresql+asyncpg://zhitong:zhitong@127.0.0.1:5432/zhitong_bench_g"


@dataclass
class World:
    """What the clients share: the servers, tokens per user, units, and the orders being worked."""

    bases: list[str]
    units: list[str]
    tokens: dict[str, str] = field(default_factory=dict)  # username -> a current token
    numbers: list[str] = field(default_factory=list)  # every order created
    pools: dict[str, list[mt.Tracked]] = field(default_factory=dict)  # status -> orders free to work on
    requests: list[mt.Request] = field(default_factory=list)
    errors: Counter[tuple[str, int]] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)  # first few error bodies
    logging_in: set[str] = field(default_factory=set)  # one login per account at a time, as people do
    serial: int = 0

    def user(self, role: str, rng: random.Random, unit: str | None = None) -> str:
        if role == "unit":
            return f"h_{unit}"
        return f"{role}{rng.randrange(AGENTS if role == 'agent' else SUPERVISORS)}"

    def put(self, order: mt.Tracked) -> None:
        if order.status != "closed":
            self.pools.setdefault(order.status, []).append(order)

    def take(self, rng: random.Random) -> mt.Tracked | None:
        ready = [s for s, pool in self.pools.items() if pool]
        if not ready:
            return None
        pool = self.pools[rng.choice(ready)]
        return pool.pop(rng.randrange(len(pool)))


async def call(world: World, session: aiohttp.ClientSession, base: str, kind: str, method: str, path: str,
               user: str | None, body: object = None) -> tuple[int, dict]:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {world.tokens[user]}"} if user else {}
    start = time.perf_counter()
    async with session.request(method, base + path, json=body, headers=headers) as r:
        data = await r.json(content_type=None)
        status = r.status
    world.requests.append(mt.Request(kind, start, time.perf_counter(), status))
    if mt.is_error(status):
        world.errors[(kind, status)] += 1
        if len(world.samples) < 5:
            world.samples.append(f"{kind} {method} {path}: {status} {str(data)[:200]}")
    return status, data


async def login(world: World, session: aiohttp.ClientSession, base: str, user: str) -> None:
    if user in world.logging_in:
        return
    world.logging_in.add(user)
    try:
        status, data = await call(world, session, base, "login", "POST", "/api/v1/auth/token", None,
                                  {"username": user, "password": PASSWORD})
    finally:
        world.logging_in.discard(user)
    if status == 201:
        world.tokens[user] = data["token"]


async def create(world: World, session: aiohttp.ClientSession, base: str, rng: random.Random) -> None:
    world.serial += 1
    status, data = await call(world, session, base, "create", "POST", "/api/v1/orders", world.user("agent", rng),
                              mt.new_order(rng, world.serial))
    if status == 201:
        world.numbers.append(data["number"])
        world.put(mt.Tracked(data["number"]))


async def one_request(world: World, session: aiohttp.ClientSession, base: str, rng: random.Random) -> None:
    kind = mt.choose_kind(rng)
    reader = world.user(rng.choice(("agent", "supervisor")), rng)
    if kind == "list":
        if rng.random() < 0.3:  # a unit handler's own queue
            reader = world.user("unit", rng, rng.choice(world.units))
        await call(world, session, base, kind, "GET", f"/api/v1/orders?{mt.list_query(rng, world.units)}", reader)
    elif kind == "detail":
        await call(world, session, base, kind, "GET", f"/api/v1/orders/{rng.choice(world.numbers)}", reader)
    elif kind == "search":
        await call(world, session, base, kind, "GET", f"/api/v1/orders?{mt.search_query(rng)}", reader)
    elif kind == "login":
        await login(world, session, base, world.user(rng.choice(("agent", "supervisor")), rng))
    elif kind == "create":
        await create(world, session, base, rng)
    elif (order := world.take(rng)) is not None:
        step = mt.next_step(order, rng, world.units)
        user = world.user(step.role, rng, order.unit)
        status, _ = await call(world, session, base, "action", "POST",
                               f"/api/v1/orders/{order.number}/{step.action}", user, step.body)
        if 200 <= status < 300:
            mt.advance(order, step)
            world.put(order)


async def client(world: World, index: int, until: float) -> None:
    rng = random.Random(index)
    base = world.bases[index % len(world.bases)]
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() < until:
            await one_request(world, session, base, rng)


async def add_users(world: World) -> None:
    """Agents, supervisors and one handler per unit (as admin), each logged in once."""
    base = world.bases[0]
    async with aiohttp.ClientSession() as s:
        await login(world, s, base, "admin")
        users = ([(f"agent{i}", "agent", None) for i in range(AGENTS)]
                 + [(f"supervisor{i}", "supervisor", None) for i in range(SUPERVISORS)]
                 + [(f"h_{u}", "unit_handler", u) for u in world.units])
        for name, role, unit in users:
            status, data = await call(world, s, base, "setup", "POST", "/api/v1/users", "admin",
                                      {"username": name, "password": PASSWORD, "role": role, "unit": unit})
            if status != 201:
                raise SystemExit(f"cannot add user {name}: {status} {data}")
            await login(world, s, base, name)


async def seed(world: World, orders: int, clients: int = 32) -> None:
    """``orders`` creates by ``clients`` concurrent clients; any error ends the bench."""
    todo = iter(range(orders))

    async def seeder(i: int) -> None:
        rng = random.Random(10_000 + i)
        async with aiohttp.ClientSession() as s:
            for _ in todo:
                await create(world, s, world.bases[i % len(world.bases)], rng)

    await asyncio.gather(*(seeder(i) for i in range(clients)))
    if world.errors:
        raise SystemExit(f"seeding failed: {dict(world.errors)} {world.samples}")


async def prepare(world: World, seed_orders: int) -> None:
    """Users for every role and the seed orders, before anything is measured."""
    await add_users(world)
    await seed(world, seed_orders)
    world.requests.clear()


async def measure(world: World, roots: list[int], args: argparse.Namespace) -> dict[str, float]:
    await prepare(world, args.seed_orders)
    pids = [p for r in roots for p in process_tree(r)]
    cpu0 = cpu_seconds(pids)
    sampler = RssSampler(roots, every=max(args.seconds / 30, 1.0))
    t0 = time.perf_counter()
    until = t0 + args.seconds
    loop_t0 = asyncio.get_running_loop().time()
    await asyncio.gather(sampler.run(loop_t0, loop_t0 + args.seconds),
                         *(client(world, i, until) for i in range(args.clients)))
    elapsed = time.perf_counter() - t0
    cpu = cpu_seconds(pids) - cpu0
    report(world, elapsed, cpu, sampler, args.seconds / 4)
    return {"rps": len(world.requests) / elapsed}


def report(world: World, elapsed: float, cpu: float, sampler: RssSampler, warmup: float) -> None:
    n = len(world.requests)
    print("  machine load average (1/5/15 min) at the end: " + " ".join(f"{x:.1f}" for x in os.getloadavg()))
    print(f"  {n} requests in {elapsed:.1f} s: {n / elapsed:,.0f} req/s; server CPU {cpu:.1f} s "
          f"({cpu / n * 1000:.2f} ms CPU per request)")
    print(f"  {'kind':<12}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind, count, p50, p99, worst in mt.latency_table(world.requests):
        print(f"  {kind:<12}{count:>7}{p50:>9.1f}{p99:>9.1f}{worst:>9.1f}")
    actions = Counter(r.kind for r in world.requests)
    print(f"  creates {actions['create'] / elapsed:.0f}/s, actions {actions['action'] / elapsed:.0f}/s")
    errors = sum(world.errors.values())
    print(f"  errors: {errors}" + (f" {dict(world.errors)}; e.g. {world.samples}" if errors else ""))
    during, apart = mt.overlaps_login(world.requests)
    print("  reads p99: " + ", ".join(
        f"{label} {mt.percentile(values, 99) * 1000:.1f} ms ({len(values)} req)"
        for label, values in (("while a login ran", during), ("with no login running", apart)) if values))
    s = rss_summary(sampler.samples, warmup)
    series = " ".join(f"{t:.0f}s:{b / 2**20:.0f}" for t, b in sampler.samples[:: max(1, len(sampler.samples) // 8)])
    print(f"  RSS MiB over time {series}; after warm-up {s.after_warmup / 2**20:.0f} → end {s.end / 2**20:.0f} "
          f"({s.growth:+.1%}), peak {s.peak / 2**20:.0f}: {'flat' if s.flat else 'GROWING'}")


async def run_setup(name: str, args: argparse.Namespace) -> dict[str, float]:
    pg = name.startswith("pg")
    processes = 2 if name == "pg2" else 1
    workers = 2 if name == "sqlite2" else 1
    with tempfile.TemporaryDirectory() as tmp:
        url = args.pg_url if pg else f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        if pg:
            await reset_postgres(url)
        await asyncio.to_thread(zhitong, url, tmp, "db", "upgrade")
        await asyncio.to_thread(zhitong, url, tmp, "units", "load", "demo")
        ports = [free_port() for _ in range(processes)]
        servers = []
        try:
            for port in ports:  # one after the other: the first migrates, the next finds it done
                servers.append(start_server(url, tmp, port, workers))
                await wait_up(f"http://127.0.0.1:{port}")
            bases = [f"http://127.0.0.1:{p}" for p in ports]
            world = World(bases, await unit_codes(bases[0]))
            print(f"{name}: {processes} app process(es) × {workers} worker(s), "
                  f"{'PostgreSQL' if pg else 'SQLite'}, {args.clients} clients, {args.seconds:.0f} s, "
                  f"{args.seed_orders} seed orders", flush=True)
            return await measure(world, [s.pid for s in servers], args)
        finally:
            for server in servers:
                stop_server(server)


async def unit_codes(base: str) -> list[str]:
    async with aiohttp.ClientSession() as s:
        async with s.post(f"{base}/api/v1/auth/token", json={"username": "admin", "password": PASSWORD}) as r:
            token = (await r.json())["token"]
        async with s.get(f"{base}/api/v1/units", headers={"Authorization": f"Bearer {token}"}) as r:
            return [u["code"] for u in (await r.json())["items"]][:UNITS]


async def main_async(args: argparse.Namespace) -> None:
    results = {}
    for name in args.setups.split(","):
        results[name] = await run_setup(name, args)
    if "pg1" in results and "pg2" in results:
        ratio = results["pg2"]["rps"] / results["pg1"]["rps"]
        print(f"PostgreSQL scaling: 2 app processes / 1 = {ratio:.2f}× (target ≥ 1.6×)")
    if "sqlite2" in results and "pg2" in results:
        print(f"PostgreSQL 2 processes / SQLite 2 workers = {results['pg2']['rps'] / results['sqlite2']['rps']:.2f}×")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--setups", default="sqlite1,sqlite2,pg1,pg2")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed-orders", type=int, default=3000)
    ap.add_argument("--pg-url", default=PG_URL)
    args = ap.parse_args()
    unknown = set(args.setups.split(",")) - {"sqlite1", "sqlite2", "pg1", "pg2"}
    if unknown:
        ap.error(f"unknown setups: {', '.join(sorted(unknown))}")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
