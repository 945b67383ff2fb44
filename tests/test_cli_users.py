"""`zhitong user add|passwd|edit|list|unlock|locks`: the server's shell as the way back in."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter.cli import main

REPO = Path(__file__).resolve().parent.parent


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, object]], str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines() if line.startswith("{")], err


def test_user_commands_edit_reset_and_list(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    db = ("--database-url", f"sqlite+aiosqlite:///{tmp_path}/users.sqlite3")
    assert run(capsys, *db, "units", "load", "demo")[0] == 0
    monkeypatch.setenv("ZHITONG_NEW_PASSWORD", "first-password-1")
    assert run(capsys, *db, "user", "add", "root", "--role", "admin")[0] == 0
    code, out, _ = run(capsys, *db, "user", "add", "li", "--role", "agent", "--name", "李娜")
    assert code == 0 and out == [{"username": "li", "role": "agent", "unit": None}]

    code, out, err = run(capsys, *db, "user", "edit", "li", "--role", "unit_handler")
    assert code == 2 and "unit handler must be bound" in err  # no unit: refused, as at creation
    code, out, _ = run(capsys, *db, "user", "edit", "li", "--role", "unit_handler", "--unit", "zjj")
    assert code == 0 and out[0] == {"username": "li", "role": "unit_handler", "unit": "zjj", "display_name": "李娜",
                                    "active": True}
    code, out, _ = run(capsys, *db, "user", "edit", "li", "--disable", "--name", "")
    assert code == 0 and out[0]["active"] is False and out[0]["display_name"] is None
    code, _, err = run(capsys, *db, "user", "edit", "root", "--role", "agent")
    assert code == 2 and "last active administrator" in err
    code, _, err = run(capsys, *db, "user", "edit", "ghost", "--enable")
    assert code == 2 and "no user 'ghost'" in err

    monkeypatch.setenv("ZHITONG_NEW_PASSWORD", "short")
    code, _, err = run(capsys, *db, "user", "passwd", "li")
    assert code == 2 and "at least 10" in err
    monkeypatch.setenv("ZHITONG_NEW_PASSWORD", "second-password-2")
    code, out, _ = run(capsys, *db, "user", "passwd", "li")
    assert code == 0 and out == [{"username": "li", "password_set": True}]
    assert "second-password-2" not in caplog.text

    code, out, _ = run(capsys, *db, "user", "list")
    assert code == 0 and [(u["username"], u["role"], u["active"]) for u in out] == [
        ("root", "admin", True), ("li", "unit_handler", False)]
    assert all("password_hash" not in u for u in out)
    code, out, _ = run(capsys, *db, "user", "unlock", "li")
    assert code == 0 and out == [{"kind": "account", "key": "li", "unlocked": False}]
    assert run(capsys, *db, "user", "locks")[:2] == (0, [])


def test_passwd_reads_the_password_from_stdin_and_audits_the_os_user(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/stdin.sqlite3"
    env = {"ZHITONG_DATABASE_URL": url, "ZHITONG_LOG_LEVEL": "WARNING", "PYTHONPATH": str(REPO)}

    def zhitong(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "callcenter.cli", *args], input=stdin, capture_output=True,
                              text=True, env=env, cwd=REPO, timeout=120)

    assert zhitong("user", "add", "wang", "--role", "supervisor", stdin="stdin-password-1\n").returncode == 0
    done = zhitong("user", "passwd", "wang", stdin="stdin-password-2\n")
    assert done.returncode == 0, done.stderr
    assert "stdin-password-2" not in done.stdout + done.stderr
    import asyncio

    from callcenter.audit import AuditLog
    from callcenter.auth.passwords import verify_password
    from callcenter.db.engine import create_engine
    from callcenter.db.users import UserRepository

    async def check() -> None:
        engine = create_engine(url)
        try:
            user = await UserRepository(engine).get_by_username("wang")
            assert user is not None and verify_password(user.password_hash, "stdin-password-2")
            audit = await AuditLog(engine).list(subject="wang")
            assert [a["action"] for a in audit] == ["user-password", "user-add"]
            assert all(a["actor"].startswith("cli:") for a in audit)
        finally:
            await engine.dispose()

    asyncio.run(check())
