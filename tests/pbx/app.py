"""`zhitong serve` as a user runs it, pointed at the test hotline, plus a blocking API client."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ADMIN_PASSWORD = "pbx-test-admin-password"
REPO = Path(__file__).resolve().parents[2]


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment of a `zhitong` child: this checkout's code first, whatever is installed."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, **extra, "PYTHONPATH": path}


@dataclass
class App:
    workdir: Path
    env: dict[str, str]
    http_port: int
    process: subprocess.Popen[bytes] | None = None
    token: str | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.workdir / "serve.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def start(self, timeout: float = 90.0) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "callcenter.cli", "serve", "--port", str(self.http_port)],
            env=child_env(self.env), cwd=self.workdir, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"zhitong serve exited with {self.process.returncode}:\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        else:
            raise RuntimeError(f"zhitong serve did not answer /healthz:\n{self.tail()}")
        self.token = None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def kill9(self) -> None:
        self.stop(signal.SIGKILL)

    def tail(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def cli(self, *args: str, stdin: str = "", extra_env: dict[str, str] | None = None) -> str:
        """Run `zhitong ARGS` against the same database, as an operator would."""
        done = subprocess.run([sys.executable, "-m", "callcenter.cli", *args], input=stdin, text=True,
                              capture_output=True, env=child_env({**self.env, **(extra_env or {})}),
                              cwd=self.workdir, timeout=120, check=False)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    def login(self, username: str, password: str) -> str:
        status, data = self.api("POST", "/api/v1/auth/token", {"username": username, "password": password}, token="")
        assert status == 201, data
        return str(data["token"])

    def api(self, method: str, path: str, body: Any = None, *, token: str | None = None) -> tuple[int, Any]:
        if token is None and self.token is None and path != "/api/v1/auth/token":
            self.token = self.login("admin", ADMIN_PASSWORD)
        token = self.token if token is None else token
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.base + path, method=method, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw)
            except ValueError:
                return exc.code, raw.decode(errors="replace")

    def download(self, path: str) -> bytes:
        if self.token is None:
            self.get("/api/v1/me")
        req = urllib.request.Request(self.base + path, headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.read()

    def get(self, path: str) -> Any:
        status, data = self.api("GET", path)
        assert status == 200, (path, status, data)
        return data

    def wait_for(self, path: str, pred: Any, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        data: Any = None
        while time.monotonic() < deadline:
            data = self.get(path)
            if pred(data):
                return data
            time.sleep(0.5)
        raise AssertionError(f"GET {path} never satisfied the condition; last: {json.dumps(data, ensure_ascii=False)[:2000]}"
                             f"\n--- serve log ---\n{self.tail()}")
