"""Benchmark: /healthz latency while wrong logins hammer the server (the login denial of service).

    python bench/login_dos_bench.py [--attackers 16] [--seconds 10] [--mode distributed|single]

Starts a real `zhitong serve` child process on 127.0.0.1 (a fresh SQLite file, speech, FastAGI and
AudioSocket off) and, from this process:

1. probes `GET /healthz` every 50 ms for a few seconds with no other load (the baseline);
2. runs `--attackers` concurrent clients that each send wrong `POST /api/v1/auth/token` requests
   back to back for `--seconds`, while the prober keeps probing /healthz.

`--mode distributed` (default) gives every attempt another username and another client address
(`X-Forwarded-For`, trusted because the bench sets ZHITONG_TRUSTED_PROXIES=127.0.0.1): the
throttle cannot help, so every attempt that is admitted costs an argon2 verification, and what
is measured is the password-hashing executor and its bounded queue. `--mode single` is one
attacker address guessing one account: the throttle refuses it before any argon2 work.

Prints p50/p99/max of /healthz without and with the attack, and the attack's status counts
(201/401 verified, 429 throttled, 503 shed by the full queue). Not a test: it never fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import aiohttp

PROBE_EVERY_S = 0.05


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_up(base: str) -> None:
    async with aiohttp.ClientSession() as s:
        for _ in range(300):
            try:
                async with s.get(f"{base}/healthz") as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("server did not start")


async def probe(base: str, until: float) -> list[float]:
    latencies = []
    async with aiohttp.ClientSession() as s:
        while time.monotonic() < until:
            t0 = time.perf_counter()
            async with s.get(f"{base}/healthz") as r:
                await r.read()
            latencies.append(time.perf_counter() - t0)
            await asyncio.sleep(PROBE_EVERY_S)
    return latencies


async def attack(base: str, worker: int, until: float, mode: str, counts: Counter[int]) -> None:
    n = 0
    async with aiohttp.ClientSession() as s:
        while time.monotonic() < until:
            n += 1
            if mode == "distributed":
                body = {"username": f"user{worker}-{n}", "password": "wrong-password-123"}
                headers = {"X-Forwarded-For": f"10.{worker}.{n // 250 % 250}.{n % 250 + 1}"}
            else:
                body, headers = {"username": "admin", "password": f"guess-{worker}-{n}"}, {}
            async with s.post(f"{base}/api/v1/auth/token", json=body, headers=headers) as r:
                await r.read()
                counts[r.status] += 1


def summary(name: str, latencies: list[float]) -> str:
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return (f"{name}: {len(latencies)} probes, p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms, "
            f"max {max(latencies) * 1000:.1f} ms")


async def bench(base: str, args: argparse.Namespace) -> None:
    await wait_up(base)
    idle = await probe(base, time.monotonic() + 3)
    print(summary("/healthz idle", idle))
    counts: Counter[int] = Counter()
    until = time.monotonic() + args.seconds
    results = await asyncio.gather(probe(base, until),
                                   *(attack(base, w, until, args.mode, counts) for w in range(args.attackers)))
    print(summary(f"/healthz under {args.attackers} concurrent wrong logins ({args.mode})", results[0]))
    total = sum(counts.values())
    print(f"logins: {total} in {args.seconds} s ({total / args.seconds:.0f}/s), by status: "
          + ", ".join(f"{status}: {n}" for status, n in sorted(counts.items())))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--attackers", type=int, default=16)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--mode", choices=("distributed", "single"), default="distributed")
    args = ap.parse_args()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ZHITONG_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/bench.sqlite3",
               "ZHITONG_ADMIN_PASSWORD": "bench-password-1", "ZHITONG_LOG_LEVEL": "WARNING",
               "ZHITONG_SPEECH": "off", "ZHITONG_AGI_PORT": "0", "ZHITONG_AUDIOSOCKET_PORT": "0",
               "ZHITONG_FAX_OCR": "off", "ZHITONG_TRUSTED_PROXIES": "127.0.0.1"}
        server = subprocess.Popen([sys.executable, "-m", "callcenter.cli", "serve", "--port", str(port)],
                                  env=env, cwd=Path(__file__).resolve().parents[1], stdout=subprocess.DEVNULL)
        try:
            asyncio.run(bench(f"http://127.0.0.1:{port}", args))
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
