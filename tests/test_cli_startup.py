"""Start-up output of `zhitong serve` and the other commands, as real processes: no Alembic
lines, a short start-up, and the framed ready block (URL, generated admin password and where it
was saved, mode 0600) printed last."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from callcenter.first_admin import FirstAdmin, password_file, ready_block, save_password
from callcenter.settings import Settings

REPO = Path(__file__).resolve().parent.parent
READ_GUARD_S = 240  # only so that a hung server fails the test instead of hanging the suite
# What a start-up says before it is ready; none of it may follow the block.
STARTUP_LINES = ("database schema created", "demo data loaded", "speech model", "FastAGI listening",
                 "simulated Asterisk", "AMI logged in")
RULE = re.compile(r"^\+-{10,}\+$")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`zhitong serve --demo` in its own folder, its stdout and stderr read as one stream."""

    def __init__(self, cwd: Path, db_url: str, **env: str) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "callcenter.cli", "serve", "--demo", "--port", str(self.port)],
            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONPATH": str(REPO), "ZHITONG_DATABASE_URL": db_url, "ZHITONG_AGI_PORT": "0",
                 "ZHITONG_AUDIOSOCKET_PORT": "0", "ZHITONG_LOG_LEVEL": "INFO", **env})
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def until_block(self) -> tuple[list[str], list[str]]:
        """(lines before the block, the block's lines)."""
        before: list[str] = []
        while True:
            line = self.lines.get(timeout=READ_GUARD_S)
            assert line is not None, "the server ended before it was ready:\n" + "\n".join(before)
            if RULE.match(line):
                block = [line]
                while not RULE.match(block[-1]) or len(block) == 1:
                    block.append(self.lines.get(timeout=READ_GUARD_S) or "")
                return before, block
            before.append(line)

    def stop(self) -> list[str]:
        """SIGTERM, then everything it printed after what was read."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(READ_GUARD_S)  # how fast it stops is item 5 of issue 13, not this file's test
        rest = []
        while (line := self.lines.get(timeout=READ_GUARD_S)) is not None:
            rest.append(line)
        return rest

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def login(self, password: str) -> int:
        """The status of a token request: 201 when the password is right."""
        return requests.post(f"http://127.0.0.1:{self.port}/api/v1/auth/token",
                             json={"username": "admin", "password": password}, timeout=30).status_code


Started = tuple[Server, list[str], str]  # the server, the lines before its block, the block


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Started]]:
    """Start a server in tmp_path and read its output up to the end of the ready block."""
    started: list[Server] = []

    def start_server(db_url: str, **env: str) -> Started:
        server = Server(tmp_path, db_url, **env)
        started.append(server)
        before, block = server.until_block()
        no_alembic(before)
        return server, before, "\n".join(block)

    yield start_server
    for server in started:
        server.kill()


def block_password(block: str) -> str:
    found = re.search(r"password:\s+(\S+)", block)
    assert found is not None, block
    return found.group(1)


def no_alembic(lines: list[str]) -> None:
    noisy = [line for line in lines if "alembic" in line.lower() or "Running upgrade" in line]
    assert noisy == [], noisy


async def test_first_start_prints_the_block_last_with_a_password_that_logs_in(
        db_url: str, tmp_path: Path, start: Callable[..., Started]) -> None:
    server, before, text = start(db_url)
    for expected in STARTUP_LINES:
        assert any(expected in line for line in before), (expected, before)
    assert len(before) <= len(STARTUP_LINES) + 2, before  # short: one line per start-up step
    assert f"http://127.0.0.1:{server.port}/" in text
    password = block_password(text)
    saved = tmp_path / "var" / "admin-password.txt"  # beside the SQLite file, or var/ for PostgreSQL
    if db_url.startswith("sqlite"):
        saved = Path(db_url.split(":///", 1)[1]).parent / "admin-password.txt"
    assert f"saved in {saved}" in text
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert saved.read_text("utf-8") == password + "\n"
    assert server.login(saved.read_text("utf-8").strip()) == 201
    rest = server.stop()
    no_alembic(rest)
    late = [line for line in rest if any(expected in line for expected in STARTUP_LINES)]
    assert late == [], late


async def test_a_restart_prints_no_password_but_says_where_it_was_saved(
        db_url: str, start: Callable[..., Started]) -> None:
    first, _, block = start(db_url)
    password = block_password(block)
    first.stop()
    again, before, block = start(db_url)
    assert not any("database schema" in line for line in before)  # nothing to migrate
    assert "password:" not in block and password not in "\n".join(before) + block
    assert "admin-password.txt" in block
    assert again.login(password) == 201
    again.stop()


async def test_with_zhitong_admin_password_nothing_is_saved(
        db_url: str, tmp_path: Path, start: Callable[..., Started]) -> None:
    server, before, block = start(db_url, ZHITONG_ADMIN_PASSWORD="chosen-admin-password",
                                  ZHITONG_ADMIN_PASSWORD_FILE=str(tmp_path / "pw.txt"))
    assert "ZHITONG_ADMIN_PASSWORD" in block
    assert "chosen-admin-password" not in "\n".join(before) + block
    assert not (tmp_path / "pw.txt").exists()
    assert server.login("chosen-admin-password") == 201
    server.stop()


async def test_a_password_that_cannot_be_saved_is_shown_with_the_reason(
        db_url: str, tmp_path: Path, start: Callable[..., Started]) -> None:
    (tmp_path / "not-a-folder").write_text("x")
    server, _, block = start(db_url, ZHITONG_ADMIN_PASSWORD_FILE=str(tmp_path / "not-a-folder" / "pw.txt"))
    assert "NOT saved" in block
    assert server.login(block_password(block)) == 201
    server.stop()


COMMANDS = [
    ["db", "upgrade"],
    ["units", "list"],
    ["user", "locks"],
    ["supervise", "--at", "2026-12-01T09:00:00+08:00"],
    ["kb", "search", "营业执照"],
]


async def test_commands_print_no_alembic_lines(db_url: str, tmp_path: Path) -> None:
    """Each on a fresh database (where Alembic used to log 2 lines plus one per revision, with its
    docstring), then again on the migrated one: stderr has at most the one schema line."""
    for i, command in enumerate(COMMANDS):
        if i:  # a fresh database for the first run of each command
            from tests.conftest import reset_database

            await reset_database(db_url)
        url = db_url if not db_url.startswith("sqlite") else f"sqlite+aiosqlite:///{tmp_path}/c{i}.sqlite3"
        for run in ("fresh", "migrated"):
            done = subprocess.run([sys.executable, "-m", "callcenter.cli", "--database-url", url, *command],
                                  capture_output=True, text=True, cwd=tmp_path, timeout=120,
                                  env={**os.environ, "PYTHONPATH": str(REPO), "ZHITONG_LOG_LEVEL": "INFO"})
            assert done.returncode == 0, (command, done.stderr)
            no_alembic(done.stdout.splitlines() + done.stderr.splitlines())
            want = ["database schema created at revision"] if run == "fresh" else []
            got = [re.sub(r"^.*zhitong\.db: ", "", line)[:35] for line in done.stderr.splitlines()]
            assert got == want, (command, run, done.stderr)
            if command == ["db", "upgrade"]:
                assert json.loads(done.stdout) == {"upgraded": True}


def test_the_saved_password_file_is_0600_even_over_a_readable_one(tmp_path: Path) -> None:
    path = tmp_path / "var" / "admin-password.txt"
    path.parent.mkdir()
    path.write_text("old\n")
    path.chmod(0o644)
    old_umask = os.umask(0)  # a permissive umask must not widen it
    try:
        save_password(path, "s3cret-value")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == "s3cret-value\n"
    assert [p.name for p in path.parent.iterdir()] == ["admin-password.txt"]  # no temporary left


def test_where_the_password_file_goes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert password_file(Settings()) == tmp_path / "var" / "admin-password.txt"
    assert password_file(Settings(database_url="sqlite+aiosqlite:////srv/zt/db.sqlite3")) == Path("/srv/zt/admin-password.txt")
    assert password_file(Settings(database_url="postgresql+asyncpg://u:p@h/db")) == tmp_path / "var" / "admin-password.txt"
    assert password_file(Settings(admin_password_file="/etc/zt/pw")) == Path("/etc/zt/pw")
    assert password_file(Settings.from_env({"ZHITONG_ADMIN_PASSWORD_FILE": "pw.txt"})) == tmp_path / "pw.txt"


def test_the_block_is_framed_and_says_where_the_password_is() -> None:
    block = ready_block("http://127.0.0.1:8080/", FirstAdmin("generated", Path("/x/admin-password.txt"), "pw-123"),
                        demo=True, workers=2).splitlines()
    assert RULE.match(block[0]) and RULE.match(block[-1])
    assert len({len(line) for line in block}) == 1  # every line as wide as the frame
    assert all(line.startswith("|  ") and line.endswith("  |") for line in block[1:-1])
    text = "\n".join(block)
    assert "http://127.0.0.1:8080/" in text and "2 worker processes" in text and "pw-123" in text
    assert "/x/admin-password.txt" in text
