"""`zhitong ami replay` as a real process: captures give JSON lines; anything else is refused
with a message on stderr and a non-zero exit, never an empty success."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from callcenter.cli import main

REPO = Path(__file__).resolve().parent.parent


def replay(*files: Path | str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "callcenter.cli", "ami", "replay", *map(str, files)],
                          capture_output=True, text=True, cwd=REPO, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


@pytest.fixture
def ami_dir(shared_dir: Path) -> Path:
    return shared_dir / "fixtures" / "asterisk" / "ami"


def test_a_capture_replays_to_json_lines(ami_dir: Path) -> None:
    done = replay(ami_dir / "inbound-ivr-call.rx.bin")
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert records and all("linkedid" in r for r in records)
    assert done.stderr == ""


def test_a_text_file_is_not_a_capture(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Meeting notes\nEvent planning: Friday\n\nnothing else\n", "utf-8")
    done = replay(notes)
    assert done.returncode != 0
    assert done.stdout == ""
    assert f"{notes} is not an AMI capture" in done.stderr


@pytest.mark.parametrize("content", [b"", bytes(range(256)) * 5000, b"\x89PNG\r\n\x1a\n" + b"\x00" * 4096],
                         ids=["empty", "binary", "png"])
def test_empty_and_binary_files_are_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "capture.bin"
    path.write_bytes(content)
    done = replay(path)
    assert done.returncode != 0 and done.stdout == ""
    assert "is not an AMI capture" in done.stderr


def test_the_clients_side_of_a_connection_is_named_as_such(ami_dir: Path) -> None:
    done = replay(ami_dir / "inbound-ivr-call.tx.bin")
    assert done.returncode != 0 and done.stdout == ""
    assert "client's side" in done.stderr and "rx.bin" in done.stderr


def test_one_bad_file_among_good_ones_fails_the_run(ami_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("hello\n", "utf-8")
    done = replay(ami_dir / "inbound-ivr-call.rx.bin", bad)
    assert done.returncode != 0 and done.stdout == ""
    assert str(bad) in done.stderr


def test_a_capture_with_no_calls_says_so(tmp_path: Path) -> None:
    path = tmp_path / "login-only.rx.bin"
    path.write_bytes(b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nMessage: Authentication accepted\r\n\r\n")
    done = replay(path)
    assert done.returncode == 0 and done.stdout == ""
    assert "no calls" in done.stderr


def test_missing_files_and_folders_are_clear_errors(tmp_path: Path) -> None:
    missing = replay(tmp_path / "nowhere.rx.bin")
    assert missing.returncode != 0 and f"no such file: {tmp_path / 'nowhere.rx.bin'}" in missing.stderr
    folder = replay(tmp_path)
    assert folder.returncode != 0 and f"not a regular file: {tmp_path}" in folder.stderr
    assert "Traceback" not in missing.stderr + folder.stderr


def test_an_unreadable_file_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    # CI runs as root, which reads any file whatever its mode: the refusal is simulated at open().
    locked = tmp_path / "locked.rx.bin"
    locked.write_bytes(b"Asterisk Call Manager/11.0.0\r\n")
    real_open = Path.open

    def guarded_open(self: Path, *args: object, **kwargs: object) -> object:
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", guarded_open)
    assert main(["ami", "replay", str(locked)]) == 2
    assert f"cannot read {locked}: Permission denied" in capsys.readouterr().err
