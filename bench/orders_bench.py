"""Benchmark: order creates/s and GETs/s with p50/p99 latency, SQLite, concurrent clients.

    python bench/orders_bench.py [--clients 32] [--creates 3000] [--gets 6000] [--workers 2]
                                 [--same-caller 10000] [--compare REV] [--rounds N]

Starts `zhitong serve` in a child process on 127.0.0.1 (a fresh SQLite file) and drives it from
this process with aiohttp clients. Targets on a 2-core machine: ≥1,000 creates/s and ≥2,000
GETs/s, p99 < 50 ms.

Every run also measures, the same way, a **floor**: bench/floor_server.py, a bare aiohttp app that
inserts one row per create in the same SQLite mode (WAL, fsync per commit) in as many processes.
Each figure is printed as a ratio to it, so a slow machine or busy neighbours show as a low floor,
not as a regression.

`--same-caller N` first stores N orders from one phone and enterprise, then runs a third phase:
all clients create orders for that caller (the duplicate check sees the longest history).

`--compare REV` checks the same load out at git revision REV (a temporary `git worktree`, run with
PYTHONPATH pointing at it: the venv's packages serve both) and alternates floor, this tree and REV
for `--rounds` rounds (default 2), printing each figure's ratio REV/this tree.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAME_PHONE, SAME_NAME = "13900001111", "绵阳常来电企业有限公司"
ORDER = {
    "channel": "phone", "category": "help",
    "enterprise": {"name": "绵阳华翔物流有限公司", "contact_person": "王经理", "phone": "13800138000"},
    "subject": "道路施工影响货物运输", "content": "华翔路道路施工，附近企业货物无法运出。",
}


MATTERS = [
    "华翔路道路施工，附近企业货物无法运出，绕行创业路时路口限高不能通过",
    "申请高新技术企业认定需要准备哪些材料，办理流程是什么",
    "企业用电增容申请已提交一个月仍未答复",
    "园区污水管网堵塞，厂区积水影响生产",
    "反映某部门重复检查、乱收费问题",
    "招聘外地技术人才落户和子女入学政策咨询",
    "厂房建设规划许可审批进度缓慢",
    "建议增加园区公交班次方便员工通勤",
]
PLACES = ["涪城区", "高新区", "经开区", "科技城", "游仙区"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_up(base: str) -> None:
    async with aiohttp.ClientSession() as s:
        for _ in range(200):
            try:
                async with s.get(f"{base}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("server did not start")


Figures = dict[str, tuple[float, float, float]]  # phase -> (requests/s, p50 ms, p99 ms)


async def run_phase(name: str, total: int, clients: int, make) -> tuple[list[str], tuple[float, float, float]]:  # type: ignore[no-untyped-def]
    latencies: list[float] = []
    results: list[str] = []
    queue = iter(range(total))

    async def worker(session: aiohttp.ClientSession) -> None:
        for i in queue:
            t0 = time.perf_counter()
            status, value = await make(session, i)
            latencies.append(time.perf_counter() - t0)
            if status >= 300:
                raise SystemExit(f"{name}: HTTP {status}: {value}")
            results.append(value)

    conn = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=conn) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(clients)))
        elapsed = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
    return results, (total / elapsed, q[49] * 1000, q[98] * 1000)


def order_body(i: int, *, same_caller: bool = False) -> dict:  # type: ignore[type-arg]
    """A realistic mix: 500 enterprises, varied matters (so duplicate checks see real candidates)."""
    rng = random.Random(i)
    firm = rng.randrange(500)
    matter = rng.choice(MATTERS)
    name, phone = (SAME_NAME, SAME_PHONE) if same_caller else (f"绵阳第{firm}号企业有限公司", f"138{firm:08d}")
    return {**ORDER, "enterprise": {"name": name, "phone": phone},
            "subject": matter[:12], "content": f"{matter}（{rng.choice(PLACES)}，编号{i}）"}


async def bench(base: str, args: argparse.Namespace, *, same_caller: bool) -> Figures:
    await wait_up(base)
    async with aiohttp.ClientSession() as s:
        async with s.post(f"{base}/api/v1/auth/token", json={"username": "admin", "password": "bench-password-1"}) as r:
            token = (await r.json())["token"]
    headers = {"Authorization": f"Bearer {token}"}
    figures: Figures = {}

    def creator(same: bool):  # type: ignore[no-untyped-def]
        async def create(session: aiohttp.ClientSession, i: int) -> tuple[int, str]:
            async with session.post(f"{base}/api/v1/orders", json=order_body(i, same_caller=same),
                                    headers=headers) as r:
                data = await r.json()
                return r.status, data.get("number", str(data))
        return create

    numbers, figures["create"] = await run_phase("create", args.creates, args.clients, creator(False))

    async def get(session: aiohttp.ClientSession, i: int) -> tuple[int, str]:
        async with session.get(f"{base}/api/v1/orders/{numbers[i % len(numbers)]}", headers=headers) as r:
            await r.read()
            return r.status, ""

    _, figures["get"] = await run_phase("get", args.gets, args.clients, get)
    if same_caller:
        _, figures["same-caller create"] = await run_phase(
            "same-caller create", args.same_caller_creates, args.clients, creator(True))
    return figures


@contextlib.contextmanager
def server(kind: str, src: Path, tmp: str, args: argparse.Namespace) -> Iterator[str]:
    """Start the floor or `zhitong serve` from source tree `src`; yield its base URL."""
    port = free_port()
    db = f"{tmp}/{kind}-{time.monotonic_ns()}.sqlite3"
    url = f"sqlite+aiosqlite:///{db}"
    env = {**os.environ, "PYTHONPATH": str(src), "ZHITONG_DATABASE_URL": url,
           "ZHITONG_ADMIN_PASSWORD": "bench-password-1", "ZHITONG_LOG_LEVEL": "WARNING"}
    if kind == "floor":
        cmd = [sys.executable, str(HERE / "floor_server.py"), str(port), db, str(args.workers)]
    else:
        if args.same_caller:
            subprocess.run([sys.executable, str(HERE / "orders_seed.py"), url, str(args.same_caller), SAME_PHONE,
                            SAME_NAME], env=env, cwd=src, check=True)
        cmd = [sys.executable, "-m", "callcenter.cli", "serve", "--port", str(port), "--workers", str(args.workers)]
    proc = subprocess.Popen(cmd, env=env, cwd=src, stdout=subprocess.DEVNULL, start_new_session=True)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # the floor's forked workers too
        proc.wait(15)


def measure(kind: str, src: Path, tmp: str, args: argparse.Namespace) -> Figures:
    with server(kind, src, tmp, args) as base:
        return asyncio.run(bench(base, args, same_caller=kind != "floor" and bool(args.same_caller)))


@contextlib.contextmanager
def checkout(rev: str) -> Iterator[Path]:
    """REV's source in a temporary git worktree (removed afterwards)."""
    path = Path(tempfile.mkdtemp(prefix="zhitong-compare-"))
    subprocess.run(["git", "worktree", "add", "--quiet", "--detach", str(path), rev], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    try:
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=False)


def report(name: str, runs: list[Figures], floor: list[Figures], base: list[Figures] | None) -> None:
    for phase in runs[0]:
        rate = statistics.median(r[phase][0] for r in runs)
        p50 = statistics.median(r[phase][1] for r in runs)
        p99 = statistics.median(r[phase][2] for r in runs)
        floor_phase = "get" if phase == "get" else "create"
        ratio = rate / statistics.median(f[floor_phase][0] for f in floor)
        line = (f"{name:>12} {phase:<18} {rate:8,.0f}/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
                f"{ratio:5.2f}× floor")
        if base is not None:
            line += f"  {rate / statistics.median(b[phase][0] for b in base):5.2f}× this tree"
        print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--creates", type=int, default=3000)
    ap.add_argument("--gets", type=int, default=6000)
    ap.add_argument("--workers", type=int, default=2, help="server worker processes")
    ap.add_argument("--same-caller", type=int, default=0, metavar="N",
                    help="seed N orders from one caller, then a phase creating orders for that caller")
    ap.add_argument("--same-caller-creates", type=int, default=1000)
    ap.add_argument("--compare", metavar="REV", help="git revision to run the same load against, alternating")
    ap.add_argument("--rounds", type=int, default=None, help="alternations (default 1, or 2 with --compare)")
    args = ap.parse_args()
    rounds = args.rounds or (2 if args.compare else 1)
    targets: dict[str, list[Figures]] = {"floor": [], "this tree": []}
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        sources = {"floor": ROOT, "this tree": ROOT}
        if args.compare:
            sources[args.compare] = stack.enter_context(checkout(args.compare))
            targets[args.compare] = []
        for n in range(rounds):
            for name, runs in targets.items():
                figures = measure("floor" if name == "floor" else "zhitong", sources[name], tmp, args)
                runs.append(figures)
                print(f"round {n + 1} {name}: " + ", ".join(
                    f"{phase} {r:,.0f}/s p99 {p99:.1f} ms" for phase, (r, _, p99) in figures.items()), flush=True)
    print(f"\nmedians of {rounds} round(s), {args.clients} clients, {args.workers} workers, SQLite:")
    for name, runs in targets.items():
        report(name, runs, targets["floor"], targets["this tree"] if name not in ("floor", "this tree") else None)


if __name__ == "__main__":
    main()
