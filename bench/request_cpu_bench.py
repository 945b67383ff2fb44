"""Benchmark: CPU time per authenticated request, one request at a time (no concurrency to share
work), in one process (client and server on one event loop, SQLite).

    python bench/request_cpu_bench.py [--gets 1000] [--creates 300]

CPU time (process_time) moves far less than wall time when other processes load the machine, so
this is the figure to compare two versions with: the per-request cost of authentication (the
revocation-generation read) shows in the GET line. Not a test: it never fails.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callcenter.admin import read_units  # noqa: E402
from callcenter.app import build_app  # noqa: E402
from callcenter.keys import AUTH, UNITS  # noqa: E402
from callcenter.settings import Settings  # noqa: E402

PASSWORD = "bench-password-1"
ORDER = {"channel": "phone", "category": "help",
         "enterprise": {"name": "绵阳华翔物流有限公司", "contact_person": "王经理", "phone": "13800138000"},
         "subject": "道路施工影响货物运输", "content": "华翔路道路施工，附近企业货物无法运出。"}


async def bench(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp}/cpu.sqlite3", speech="off"), telephony=False)
        client = TestClient(TestServer(app, host="127.0.0.1"))
        await client.start_server()
        try:
            await app[UNITS].upsert_many(read_units("demo"))
            await app[AUTH].add_user("agent", PASSWORD, "agent")
            resp = await client.post("/api/v1/auth/token", json={"username": "agent", "password": PASSWORD})
            headers = {"Authorization": f"Bearer {(await resp.json())['token']}"}
            resp = await client.post("/api/v1/orders", json=ORDER, headers=headers)
            path = f"/api/v1/orders/{(await resp.json())['number']}"
            for _ in range(50):  # warm up
                await (await client.get(path, headers=headers)).read()
            cpu, wall = time.process_time(), time.perf_counter()
            for _ in range(args.gets):
                await (await client.get(path, headers=headers)).read()
            print(f"GET: {(time.process_time() - cpu) / args.gets * 1000:.2f} ms CPU, "
                  f"{(time.perf_counter() - wall) / args.gets * 1000:.2f} ms wall per request")
            cpu, wall = time.process_time(), time.perf_counter()
            for i in range(args.creates):
                body = {**ORDER, "subject": f"事项{i}", "content": f"第{i}号事项的内容"}
                await (await client.post("/api/v1/orders", json=body, headers=headers)).read()
            print(f"create: {(time.process_time() - cpu) / args.creates * 1000:.2f} ms CPU, "
                  f"{(time.perf_counter() - wall) / args.creates * 1000:.2f} ms wall per request")
        finally:
            await client.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gets", type=int, default=1000)
    ap.add_argument("--creates", type=int, default=300)
    asyncio.run(bench(ap.parse_args()))


if __name__ == "__main__":
    main()
