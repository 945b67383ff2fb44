"""The server process never opens the live SQLite database (or its -wal/-shm) through file-serving
code (issue 11, finding 2).

Opening and closing any descriptor of the database drops every POSIX lock SQLite holds on it in
this process; the next SQLite client (`zhitong units list`) then checkpointed and deleted the WAL
still in use, and orders acknowledged afterwards vanished at the next crash. On 35eeeea an agent
could make the server do exactly that by naming the database as an attachment.
"""

from __future__ import annotations

import asyncio
import builtins
import io
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from callcenter.blobs.files import BlobFileError, BlobFiles
from tests.api_helpers import ORDER, start_api

REPO = Path(__file__).resolve().parents[2]


def _database(path: Path) -> sqlite3.Connection:
    """A live WAL database with a reader holding its shared lock, as the server's pool does."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE IF NOT EXISTS t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.execute("BEGIN")
    conn.execute("SELECT * FROM t").fetchall()
    return conn


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every file this process opens from Python (SQLite's own opens are in C and not seen)."""
    seen: list[str] = []
    real_os_open, real_open = os.open, builtins.open

    def os_open(path: Any, *args: Any, **kwargs: Any) -> int:
        seen.append(os.fspath(path) if not isinstance(path, int) else f"fd:{path}")
        return real_os_open(path, *args, **kwargs)

    def py_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(os.fspath(file) if not isinstance(file, int) else f"fd:{file}")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", os_open)
    monkeypatch.setattr(builtins, "open", py_open)
    monkeypatch.setattr(io, "open", py_open)
    yield seen


def test_a_database_named_like_a_recording_is_never_opened(tmp_path: Path, opened: list[str]) -> None:
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    database = recordings / "msg-1.wav"  # a deployment that put its database in the recordings folder
    conn = _database(database)
    try:
        files = BlobFiles({"recordings": recordings}, protected=[database])
        for name in ("msg-1.wav", "msg-1.wav-wal", "msg-1.wav-shm"):
            with pytest.raises(BlobFileError):
                files.open("recordings", name)
        assert not [p for p in opened if Path(p).name.startswith("msg-1.wav")]
    finally:
        conn.close()


def test_a_hard_link_or_symlink_to_the_database_is_refused(tmp_path: Path, opened: list[str]) -> None:
    database, store = tmp_path / "zhitong.sqlite3", tmp_path / "blobs"
    conn = _database(database)
    try:
        (store / "ab").mkdir(parents=True)
        os.link(database, store / "ab" / ("a" * 64))
        os.symlink(database, store / "ab" / ("b" * 64))
        (tmp_path / "rec").mkdir()
        os.symlink(database, tmp_path / "rec" / "call-1.wav")
        files = BlobFiles({"store": store, "recordings": tmp_path / "rec"}, protected=[database])
        for area, location in (("store", "ab/" + "a" * 64), ("store", "ab/" + "b" * 64),
                               ("recordings", "call-1.wav")):
            with pytest.raises(BlobFileError):
                files.open(area, location)
        assert not [p for p in opened if p.endswith(("a" * 64, "b" * 64, "call-1.wav"))]
    finally:
        conn.close()


@pytest.mark.parametrize("location", ["../zhitong.sqlite3", "/etc/passwd", "ab/../../x", "ab/" + "A" * 64,
                                      "msg-1.wav/../../zhitong.sqlite3", "", "ab/" + "a" * 63])
def test_names_outside_an_areas_grammar_are_refused_before_any_open(tmp_path: Path, location: str,
                                                                    opened: list[str]) -> None:
    files = BlobFiles({"store": tmp_path, "recordings": tmp_path, "fax": tmp_path})
    for area in ("store", "recordings", "fax", "elsewhere"):
        with pytest.raises(BlobFileError):
            files.open(area, location)
    assert opened == []


async def test_no_route_opens_the_database(tmp_path: Path, opened: list[str]) -> None:
    """Every GET route, with the database's path (in every spelling) wherever a value goes. (SQLite's
    hazard: a PostgreSQL database has no file in this process.)"""
    database = tmp_path / "live.sqlite3"
    async for api in start_api(f"sqlite+aiosqlite:///{database}"):
        spellings = [str(database), f"..%2F..%2F{database.name}", database.name, f"{database.name}-wal",
                     "%2Fetc%2Fpasswd"]
        _, order = await api.call("agent", "POST", "/api/v1/orders", ORDER)
        for resource in api.client.server.app.router.resources():
            info = resource.get_info()
            template = info.get("formatter") or info.get("path") or ""
            if "{" not in template:
                continue
            for spelling in spellings:
                path = template
                for name in ("number",):
                    path = path.replace("{" + name + "}", order["number"])
                while "{" in path:
                    start, end = path.index("{"), path.index("}")
                    path = path[:start] + spelling + path[end + 1:]
                for who in ("agent", "admin"):
                    resp = await api.client.get(path, headers=api.auth(who))
                    assert resp.status < 500, (path, resp.status)
        family = {database.name + suffix for suffix in ("", "-wal", "-shm", "-journal")}  # not our flock file
        assert not [p for p in opened if Path(str(p)).name in family], opened


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_acknowledged_orders_survive_a_file_attack_a_second_client_and_kill_9(tmp_path: Path) -> None:
    """The reviewer's sequence against a real `zhitong serve`: name the database as an attachment and
    download it, run another SQLite client (`zhitong units list`), create more orders, kill -9. Every
    order acknowledged with 201 must be there after the restart, and numbering must go on."""
    database = tmp_path / "live.sqlite3"
    env = {**os.environ, "ZHITONG_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
           "ZHITONG_ADMIN_PASSWORD": "kill-nine-test-password", "ZHITONG_LOG_LEVEL": "WARNING",
           "ZHITONG_BLOB_DIR": str(tmp_path / "blobs"), "ZHITONG_AGI_PORT": "0", "ZHITONG_AUDIOSOCKET_PORT": "0",
           "ZHITONG_SPEECH": "off"}
    port = _free_port()

    def serve() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "callcenter.cli", "serve", "--port", str(port)], env=env,
                                cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    async def session(steps: Any) -> Any:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            for _ in range(200):
                try:
                    async with http.get("/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
            async with http.post("/api/v1/auth/token", json={"username": "admin",
                                                              "password": "kill-nine-test-password"}) as r:
                headers = {"Authorization": f"Bearer {(await r.json())['token']}"}
            return await steps(http, headers)

    async def create(http: aiohttp.ClientSession, headers: dict[str, str], n: int, **extra: Any) -> list[Any]:
        out = []
        for i in range(n):
            async with http.post("/api/v1/orders", json={**ORDER, "subject": f"事项{i}", **extra}, headers=headers) as r:
                out.append((r.status, (await r.json()).get("number")))
        return out

    async def attack(http: aiohttp.ClientSession, headers: dict[str, str]) -> list[str]:
        acknowledged = [n for s, n in await create(http, headers, 10) if s == 201]
        for spelling in (str(database), "live.sqlite3", "../live.sqlite3", f"{database}-wal"):
            [(status, _)] = await create(http, headers, 1, attachments=[spelling])
            assert status == 422, spelling
        for path in (f"/api/v1/orders/{acknowledged[0]}/attachments/live.sqlite3",
                     f"/orders/{acknowledged[0]}/attachments/0", "/static/..%2F..%2Flive.sqlite3"):
            async with http.get(path, headers=headers, allow_redirects=False) as r:
                assert r.status in (303, 404), path  # a page asks for a login; the API knows no such file
        other = subprocess.run([sys.executable, "-m", "callcenter.cli", "units", "list"], env=env, cwd=tmp_path,
                               capture_output=True, timeout=60)
        assert other.returncode == 0, other.stderr
        return acknowledged + [n for s, n in await create(http, headers, 20) if s == 201]

    server = serve()
    try:
        acknowledged = asyncio.run(session(attack))
    finally:
        server.send_signal(signal.SIGKILL)
        server.wait(10)
    assert len(acknowledged) == 30
    server = serve()
    try:
        async def after(http: aiohttp.ClientSession, headers: dict[str, str]) -> tuple[set[str], str]:
            async with http.get("/api/v1/orders?limit=500", headers=headers) as r:
                found = {o["number"] for o in (await r.json())["items"]}
            [(_, number)] = await create(http, headers, 1)
            return found, number

        found, next_number = asyncio.run(session(after))
    finally:
        server.terminate()
        server.wait(20)
    assert set(acknowledged) <= found
    assert next_number not in acknowledged and next_number > max(acknowledged)
