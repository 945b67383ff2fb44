"""`zhitong serve` as a real process for tests: ports of its own (FastAGI and AudioSocket too, so
nothing else on the machine can make its start-up fail), its output in a file, ready when it
answers (the first answer means every worker serves: callcenter.http.processes)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

REPO = Path(__file__).resolve().parent.parent
ADMIN_PASSWORD = "serve-helpers-password"
START_UP_S = 300.0  # a generous bound on a loaded machine; only turns a hang into a failure


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def children(self) -> list[int]:
        """The worker processes (`--workers N`): forked, so with the server's command line (the
        demo's helper programs, e.g. espeak-ng, have their own)."""
        found = []
        own = Path(f"/proc/{self.process.pid}/cmdline").read_bytes()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                if (int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.process.pid
                        and (stat.parent / "cmdline").read_bytes() == own):
                    found.append(int(stat.parent.name))
        return found

    async def stop(self, signum: int = signal.SIGTERM, give_up_s: float = 60.0) -> float:
        """Send ``signum``; the seconds until the process exited."""
        started = time.monotonic()
        self.process.send_signal(signum)
        try:
            await asyncio.to_thread(self.process.wait, give_up_s)
        except subprocess.TimeoutExpired:
            pytest.fail(f"zhitong serve still running {give_up_s} s after {signal.Signals(signum).name}")
        return time.monotonic() - started


def serve_env(tmp_path: Path, db_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
            "ZHITONG_DATABASE_URL": db_url, "ZHITONG_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "ZHITONG_AGI_PORT": "0", "ZHITONG_AUDIOSOCKET_PORT": str(free_port()),
            "ZHITONG_FAX_INCOMING_DIR": str(tmp_path / "fax-in"), "ZHITONG_FAX_STORE_DIR": str(tmp_path / "fax"),
            "ZHITONG_BLOB_DIR": str(tmp_path / "blobs"), "ZHITONG_RECORDINGS_DIR": str(tmp_path / "recordings"),
            **extra}


@contextlib.asynccontextmanager
async def serving(tmp_path: Path, db_url: str, *args: str, **env: str) -> AsyncIterator[Served]:
    """``zhitong serve --port P *args``, answering requests."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "callcenter.cli", "serve", "--port", str(port), *args],
                                   env=serve_env(tmp_path, db_url, **env), cwd=REPO, stdout=out,
                                   stderr=subprocess.STDOUT)
    served = Served(process, port, log)
    try:
        await _until_answering(served)
        yield served
    finally:
        if process.poll() is None:
            for pid in served.children():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            process.kill()
            process.wait()


async def _until_answering(served: Served) -> None:
    deadline = time.monotonic() + START_UP_S
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            if served.process.poll() is not None:
                pytest.fail(f"zhitong serve exited during start-up:\n{served.output()[-3000:]}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):  # not yet listening / serving
                async with http.get(f"{served.base}/healthz", timeout=aiohttp.ClientTimeout(total=5)) as resp:
                    if resp.status == 200:
                        return
            await asyncio.sleep(0.2)
    pytest.fail(f"zhitong serve did not answer within {START_UP_S} s:\n{served.output()[-3000:]}")


async def api_token(http: aiohttp.ClientSession, served: Served) -> str:
    async with http.post(f"{served.base}/api/v1/auth/token",
                         json={"username": "admin", "password": ADMIN_PASSWORD}) as resp:
        assert resp.status == 201, await resp.text()
        return str((await resp.json())["token"])
