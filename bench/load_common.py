"""Helpers shared by the load benches: start `zhitong serve` children, read their CPU time and RSS
from /proc, and summarise latencies. No third-party dependency beyond aiohttp (psutil is not
installed on the bench machine; /proc is what it would read anyway)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from callbacks_bench import reset_postgres  # noqa: F401  (re-exported: drops and recreates the bench database)
from orders_bench import free_port, wait_up  # noqa: F401  (re-exported)

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def server_env(database_url: str, files_dir: str) -> dict[str, str]:
    """`zhitong serve` for a bench: the HTTP service only (no ASR, FastAGI, AudioSocket, OCR), its
    files under ``files_dir``, warnings-only logging."""
    return {**os.environ, "ZHITONG_DATABASE_URL": database_url, "ZHITONG_ADMIN_PASSWORD": PASSWORD,
            "ZHITONG_LOG_LEVEL": "WARNING", "ZHITONG_SPEECH": "off", "ZHITONG_AGI_PORT": "0",
            "ZHITONG_AUDIOSOCKET_PORT": "0", "ZHITONG_FAX_OCR": "off",
            "ZHITONG_BLOB_DIR": f"{files_dir}/blobs", "ZHITONG_RECORDINGS_DIR": f"{files_dir}/recordings",
            "ZHITONG_FAX_STORE_DIR": f"{files_dir}/fax", "ZHITONG_FAX_INCOMING_DIR": f"{files_dir}/fax-in",
            "PYTHONPATH": str(REPO)}


def zhitong(database_url: str, files_dir: str, *args: str) -> None:
    """Run one `zhitong` admin command to completion (e.g. `db upgrade`, `units load demo`)."""
    subprocess.run([sys.executable, "-m", "callcenter.cli", *args], env=server_env(database_url, files_dir),
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL)


def start_server(database_url: str, files_dir: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "callcenter.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=server_env(database_url, files_dir), cwd=REPO, stdout=subprocess.DEVNULL)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(10)


# --- /proc: the server processes' CPU time and memory -------------------------------------------

def process_tree(root: int, proc: Path = Path("/proc")) -> list[int]:
    """``root`` and its descendants (the forked `--workers`), from each process's parent pid."""
    parents: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int(_stat_fields((entry / "stat").read_text())[1])
        except (OSError, ValueError, IndexError):
            continue  # gone since the listing
        parents.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(parents.get(pid, ()))
    return sorted(tree)


def _stat_fields(stat: str) -> list[str]:
    """The fields of /proc/PID/stat after the command name (which may hold spaces and parentheses):
    [0] is the state, [1] the parent pid, [11] utime, [12] stime, [21] rss in pages."""
    return stat[stat.rindex(")") + 2:].split()


def cpu_seconds(pids: Sequence[int], proc: Path = Path("/proc")) -> float:
    """User + system CPU time of these processes so far."""
    total = 0
    for pid in pids:
        try:
            f = _stat_fields((proc / str(pid) / "stat").read_text())
        except OSError:
            continue
        total += int(f[11]) + int(f[12])
    return total / CLK_TCK


def rss_bytes(pids: Sequence[int], proc: Path = Path("/proc")) -> int:
    """Resident memory of these processes (summed; forked workers share some pages, so this is an
    upper bound, but its trend over time is what tells a leak)."""
    total = 0
    for pid in pids:
        try:
            total += int(_stat_fields((proc / str(pid) / "stat").read_text())[21]) * PAGE_SIZE
        except OSError:
            continue
    return total


@dataclass
class RssSampler:
    """Samples the RSS of some process trees every ``every`` seconds while the load runs."""

    roots: Sequence[int]
    every: float = 2.0
    samples: list[tuple[float, int]] = field(default_factory=list)

    async def run(self, t0: float, until: float) -> None:
        loop = asyncio.get_running_loop()
        pids = [p for root in self.roots for p in process_tree(root)]
        while (now := loop.time()) < until:
            self.samples.append((now - t0, rss_bytes(pids)))
            await asyncio.sleep(self.every)
        self.samples.append((loop.time() - t0, rss_bytes(pids)))


@dataclass(frozen=True)
class RssSummary:
    after_warmup: int  # bytes: the floor of the first third of the samples after warm-up
    end: int  # the floor of the last third
    peak: int
    growth: float  # (end - after_warmup) / after_warmup

    @property
    def flat(self) -> bool:
        """Within 10 % of the post-warm-up level: caches filled, nothing growing per request."""
        return abs(self.growth) <= 0.10


def rss_summary(samples: Sequence[tuple[float, int]], warmup_s: float) -> RssSummary:
    """Compare floors, not single samples: each argon2 login holds 64 MiB for its few tens of
    milliseconds, so a sample that lands on one is a spike that says nothing about a leak."""
    if not samples:
        raise ValueError("no RSS samples")
    steady = [b for t, b in samples if t >= warmup_s] or [samples[-1][1]]
    third = max(1, len(steady) // 3)
    start, end = min(steady[:third]), min(steady[-third:])
    return RssSummary(start, end, max(b for _, b in samples), (end - start) / start if start else 0.0)


# --- latencies ---------------------------------------------------------------------------------

def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0–100) of ``values``: a value that was really observed, so a
    p99 over 100 samples is the second-worst one, never an interpolation."""
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError("q must be within 0–100")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n * q / 100), at least the first value
    return ordered[int(rank) - 1]
