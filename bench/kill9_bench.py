"""Crash safety under load: every order acknowledged with 201 must survive `kill -9`.

Runs `zhitong serve --workers N` as a user would (its own process group), drives concurrent
clients creating orders, kills the whole group with SIGKILL at a random moment, restarts it and
compares what was acknowledged with what is stored. Also checks that numbering goes on after the
crash (a number once given to a caller is never issued again).

    python bench/kill9_bench.py                                   # SQLite, 3 rounds
    python bench/kill9_bench.py --database-url postgresql+asyncpg://zhitong:zhitong@127.0.0.1/zhitong_bench

PostgreSQL: point it at a database used for nothing else (its orders are counted).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "kill-nine-bench-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(url: str, port: int, workers: int, workdir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ZHITONG_DATABASE_URL": url, "ZHITONG_ADMIN_PASSWORD": PASSWORD,
           "ZHITONG_LOG_LEVEL": "ERROR", "ZHITONG_AGI_PORT": "0", "ZHITONG_AUDIOSOCKET_PORT": "0",
           "ZHITONG_SPEECH": "off", "ZHITONG_BLOB_DIR": str(workdir / "blobs")}
    return subprocess.Popen([sys.executable, "-m", "callcenter.cli", "serve", "--workers", str(workers),
                             "--port", str(port)], env=env, cwd=workdir, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def login(http: aiohttp.ClientSession) -> dict[str, str]:
    deadline = time.monotonic() + 60
    while True:
        try:
            async with http.post("/api/v1/auth/token", json={"username": "admin", "password": PASSWORD}) as r:
                if r.status == 201:
                    return {"Authorization": f"Bearer {(await r.json())['token']}"}
        except aiohttp.ClientError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the server did not come up within 60 s")
        await asyncio.sleep(0.1)


async def load(port: int, clients: int, kill_after: float, server: subprocess.Popen[bytes]) -> list[str]:
    """Create orders from `clients` clients until the server is killed; the numbers acknowledged."""
    acknowledged: list[str] = []
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
        headers = await login(http)

        async def client(i: int) -> None:
            n = 0
            while True:
                body = {"channel": "web", "category": "help", "enterprise": {"name": f"压测企业{i}"},
                        "subject": f"事项{i}-{n}", "content": "崩溃恢复测试"}
                try:
                    async with http.post("/api/v1/orders", json=body, headers=headers) as r:
                        if r.status == 201:
                            acknowledged.append((await r.json())["number"])
                except (TimeoutError, aiohttp.ClientError):
                    return  # the server is gone
                n += 1

        tasks = [asyncio.create_task(client(i)) for i in range(clients)]
        await asyncio.sleep(kill_after)
        os.killpg(server.pid, signal.SIGKILL)
        await asyncio.gather(*tasks)
    return acknowledged


async def stored(port: int) -> tuple[set[str], str]:
    """Every order number stored, and the number a new order gets now."""
    found: set[str] = set()
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
        headers = await login(http)
        offset = 0
        while True:
            async with http.get(f"/api/v1/orders?channel=web&limit=500&offset={offset}", headers=headers) as r:
                page = await r.json()
            found |= {o["number"] for o in page["items"]}
            offset += 500
            if offset >= page["total"]:
                break
        body = {"channel": "web", "category": "help", "enterprise": {"name": "重启后"}, "subject": "s", "content": "c"}
        async with http.post("/api/v1/orders", json=body, headers=headers) as r:
            return found, (await r.json())["number"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", help="default: a fresh SQLite file")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=8.0, help="longest load before the kill (random in [2, this])")
    args = p.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="zt-kill9-"))
    url = args.database_url or f"sqlite+aiosqlite:///{workdir}/bench.sqlite3"
    rng = random.Random(9)
    total_acked = total_lost = 0
    print(f"{'round':>5} {'killed at':>9} {'acknowledged':>12} {'found':>6} {'lost':>5} {'next number ok':>14}")
    for round_no in range(1, args.rounds + 1):
        port = free_port()
        kill_after = rng.uniform(2.0, args.seconds)
        server = start(url, port, args.workers, workdir)
        acknowledged = asyncio.run(load(port, args.clients, kill_after, server))
        server.wait(10)
        server = start(url, port, args.workers, workdir)
        try:
            found, next_number = asyncio.run(stored(port))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
        lost = set(acknowledged) - found
        ok = next_number not in acknowledged and next_number > max(acknowledged, default="")
        total_acked, total_lost = total_acked + len(acknowledged), total_lost + len(lost)
        print(f"{round_no:>5} {kill_after:>8.1f}s {len(acknowledged):>12} {len(set(acknowledged) & found):>6} "
              f"{len(lost):>5} {'yes' if ok else 'NO':>14}")
    print(f"total: {total_acked} acknowledged, {total_lost} lost ({url.split(':', 1)[0]}, {args.workers} workers, "
          f"{args.clients} clients)")


if __name__ == "__main__":
    main()
