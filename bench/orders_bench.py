"""Benchmark: order creates/s and GETs/s with p50/p99 latency, SQLite, concurrent clients.

    python bench/orders_bench.py [--clients 32] [--creates 5000] [--gets 10000]

Starts `zhitong serve` in a child process on 127.0.0.1 (a fresh SQLite file) and
drives it from this process with aiohttp clients. Targets on a 2-core machine:
≥1,000 creates/s and ≥2,000 GETs/s, p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

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


async def run_phase(name: str, total: int, clients: int, make) -> list[str]:  # type: ignore[no-untyped-def]
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
    q = statistics.quantiles(latencies, n=100)
    print(f"{name}: {total} requests, {clients} clients: {total / elapsed:,.0f}/s, "
          f"p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms")
    return results


async def bench(base: str, args: argparse.Namespace) -> None:
    await wait_up(base)
    async with aiohttp.ClientSession() as s:
        async with s.post(f"{base}/api/v1/auth/token", json={"username": "admin", "password": "bench-password-1"}) as r:
            token = (await r.json())["token"]
    headers = {"Authorization": f"Bearer {token}"}

    async def create(session: aiohttp.ClientSession, i: int) -> tuple[int, str]:
        # A realistic mix: 500 enterprises, varied matters (so duplicate checks see real candidates).
        rng = random.Random(i)
        firm = rng.randrange(500)
        matter = rng.choice(MATTERS)
        body = {**ORDER, "enterprise": {"name": f"绵阳第{firm}号企业有限公司", "phone": f"138{firm:08d}"},
                "subject": matter[:12], "content": f"{matter}（{rng.choice(PLACES)}，编号{i}）"}
        async with session.post(f"{base}/api/v1/orders", json=body, headers=headers) as r:
            data = await r.json()
            return r.status, data.get("number", str(data))

    numbers = await run_phase("create", args.creates, args.clients, create)

    async def get(session: aiohttp.ClientSession, i: int) -> tuple[int, str]:
        async with session.get(f"{base}/api/v1/orders/{numbers[i % len(numbers)]}", headers=headers) as r:
            await r.read()
            return r.status, ""

    await run_phase("get", args.gets, args.clients, get)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--creates", type=int, default=5000)
    ap.add_argument("--gets", type=int, default=10000)
    ap.add_argument("--workers", type=int, default=1, help="server worker processes")
    args = ap.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ZHITONG_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.sqlite3",
               "ZHITONG_ADMIN_PASSWORD": "bench-password-1", "ZHITONG_LOG_LEVEL": "WARNING"}
        server = subprocess.Popen(
            [sys.executable, "-m", "callcenter.cli", "serve", "--port", str(port), "--workers", str(args.workers)],
            env=env, cwd=Path(__file__).resolve().parents[1], stdout=subprocess.DEVNULL,
        )
        try:
            asyncio.run(bench(f"http://127.0.0.1:{port}", args))
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
