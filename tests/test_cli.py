"""The `zhitong` command, run as a real process where it matters."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter.cli import main

REPO = Path(__file__).resolve().parent.parent


def zhitong(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callcenter.cli", *args], input=stdin, capture_output=True, text=True,
        env={**os.environ, **(env or {})}, cwd=REPO, timeout=60,
    )


@pytest.mark.parametrize(
    ("preset", "start", "kind", "due", "provisional"),
    [
        # Spring Festival 2026: 02-15..02-23 off, Sat 02-14 and Sat 02-28 are 调休 working days.
        ("yicheng-2021", "2026-02-13T10:00", "resolve", "2026-03-02T23:59:59+08:00", False),
        ("yicheng-2021", "2026-02-16T10:00", "answer", "2026-02-26T23:59:59+08:00", False),  # receipt on a holiday
        ("yicheng-2021", "2026-12-28T10:00", "resolve", "2027-01-06T23:59:59+08:00", True),  # into 2027: weekends only
        ("langfang-2019", "2026-02-13T10:00", "authority", "2026-02-14T10:00:00+08:00", False),  # 24 clock hours
        ("langfang-2019", "2026-02-13T10:00", "major_resolve", "2026-02-18T23:59:59+08:00", False),  # 5 calendar days
        ("mianyang-962299", "2026-11-23T09:00", "complex", "2026-12-23T23:59:59+08:00", False),
    ],
)
def test_sla_due(preset: str, start: str, kind: str, due: str, provisional: bool, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sla", "due", "--preset", preset, "--from", start, "--kind", kind]) == 0
    assert json.loads(capsys.readouterr().out) == {"due": due, "provisional": provisional}


def test_sla_due_errors_are_clear(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sla", "due", "--preset", "nowhere", "--from", "2026-11-23T09:00", "--kind", "resolve"]) == 2
    assert "nowhere" in capsys.readouterr().err
    assert main(["sla", "due", "--preset", "yicheng-2021", "--from", "2026-11-23T09:00", "--kind", "teleport"]) == 2
    assert "teleport" in capsys.readouterr().err


def test_supervise_and_admin_commands_end_to_end(tmp_path: Path) -> None:
    env = {"ZHITONG_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3"}
    assert json.loads(zhitong("units", "load", "demo", env=env).stdout) == {"loaded": 26}
    added = zhitong("user", "add", "li", "--role", "unit_handler", "--unit", "zjj", env=env, stdin="long-enough-password\n")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout) == {"username": "li", "role": "unit_handler", "unit": "zjj"}
    dup = zhitong("user", "add", "li", "--role", "agent", env=env, stdin="long-enough-password\n")
    assert dup.returncode == 2 and "already exists" in dup.stderr
    swept = zhitong("supervise", "--at", "2026-12-01T09:00:00+08:00", env=env)
    assert swept.returncode == 0 and swept.stdout == ""  # no orders, no cards


async def test_serve_with_two_workers_accepts_concurrent_creates(tmp_path: Path) -> None:
    """The README's service command, as a real process: two workers share the port and
    the SQLite file; every acknowledged order is stored once, with a unique number.

    It once failed under load (ServerDisconnectedError after 130 s), passing alone: the demo's
    FastAGI and AudioSocket took their default ports, so anything else on the machine holding
    them failed the parent's start-up, which then stopped the worker already serving these
    requests. Now the test's ports are its own, and the first answer means every worker is
    serving (the start-up barrier of callcenter.http.processes), not just the quicker one."""
    import aiohttp

    from tests.serve_helpers import api_token, serving

    async with serving(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/w.sqlite3", "--demo", "--workers", "2") as served:
        assert len(served.children()) == 1
        async with aiohttp.ClientSession() as http:
            headers = {"Authorization": f"Bearer {await api_token(http, served)}"}

            async def create(i: int) -> tuple[int, str]:
                body = {"channel": "web", "category": "help", "enterprise": {"name": f"企业{i}"},
                        "subject": f"事项{i}", "content": f"内容{i}"}
                async with http.post(f"{served.base}/api/v1/orders", json=body, headers=headers) as r:
                    return r.status, (await r.json()).get("number", "")

            results = await asyncio.gather(*(create(i) for i in range(200)))
            # --demo also runs the simulated PBX, whose callers leave phone drafts: count web orders.
            async with http.get(f"{served.base}/api/v1/orders?limit=1&channel=web", headers=headers) as r:
                total = (await r.json())["total"]
        await served.stop()
    statuses, numbers = [s for s, _ in results], {n for _, n in results}
    assert statuses == [201] * 200
    assert len(numbers) == 200 and total == 200
    assert served.process.returncode == 0
