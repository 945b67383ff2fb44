"""One real Asterisk process from the cached build, in a directory of its own.

Every directory Asterisk uses lives under ``root`` (a test's temporary directory), so several
instances (the hotline, the carrier) run side by side from the same prefix without root's
``/etc/asterisk``. Control goes through ``asterisk -rx`` on the instance's own control socket.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PREFIX = Path.home() / ".cache" / "zhitong" / "asterisk-22.10.1"


def asterisk_prefix() -> Path:
    """Where `.ci/run` (through ../shared/asterisk/build.sh) installed Asterisk."""
    return Path(os.environ.get("ZHITONG_ASTERISK_PREFIX") or DEFAULT_PREFIX)


def directories(prefix: Path, root: Path) -> dict[str, Path]:
    lib = root / "lib"
    return {
        "astcachedir": root / "cache", "astetcdir": root / "etc",
        "astmoddir": prefix / "lib" / "asterisk" / "modules",
        "astvarlibdir": lib, "astdbdir": lib, "astkeydir": lib, "astdatadir": lib,
        "astagidir": lib / "agi-bin", "astspooldir": root / "spool", "astrundir": root / "run",
        "astlogdir": root / "log", "astsbindir": prefix / "sbin",
    }


def point_directories(conf: str, dirs: dict[str, Path]) -> str:
    """Rewrite asterisk.conf's [directories] and drop runuser/rungroup (tests run as one user)."""
    for key, path in dirs.items():
        conf, n = re.subn(rf"(?m)^{key}\s*=>.*$", f"{key} => {path}", conf)
        if n == 0:
            conf = conf.replace("[directories]\n", f"[directories]\n{key} => {path}\n", 1)
    return re.sub(r"(?m)^(runuser|rungroup)\s*=.*$", r";\g<0> (removed by the test harness)", conf)


@dataclass
class Asterisk:
    """A running (or stopped) Asterisk rooted at ``root``."""

    name: str
    prefix: Path
    root: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.root / "console.log"

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def sounds(self) -> Path:
        return self.root / "lib" / "sounds"

    def prepare(self, asterisk_conf: str) -> None:
        """Create the directory tree and write asterisk.conf (other configs are the caller's)."""
        dirs = directories(self.prefix, self.root)
        for key, path in dirs.items():
            if key not in ("astmoddir", "astsbindir"):
                path.mkdir(parents=True, exist_ok=True)
        (self.root / "lib" / "moh").mkdir(exist_ok=True)
        (self.root / "lib" / "keys").mkdir(exist_ok=True)  # res_crypto reads <astkeydir>/keys
        self.sounds.mkdir(parents=True, exist_ok=True)
        # Asterisk 22 will not boot without its XML documentation in astdatadir (SOURCE.md).
        docs = self.root / "lib" / "documentation"
        if not docs.exists():
            docs.symlink_to(self.prefix / "var" / "lib" / "asterisk" / "documentation")
        (self.etc / "asterisk.conf").write_text(point_directories(asterisk_conf, dirs))

    def start(self, timeout: float = 60.0) -> None:
        binary = self.prefix / "sbin" / "asterisk"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(binary), "-f", "-n", "-C", str(self.etc / "asterisk.conf")],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.started_at = time.time()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name}: asterisk exited with {self.process.returncode}:\n{self.tail()}")
            if "System uptime" in self.rx("core show uptime", check=False):
                self.rx("core waitfullybooted")
                return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name}: asterisk did not boot in {timeout} s:\n{self.tail()}")

    def rx(self, command: str, *, check: bool = True, timeout: float = 20.0) -> str:
        binary = self.prefix / "sbin" / "asterisk"
        try:
            done = subprocess.run([str(binary), "-C", str(self.etc / "asterisk.conf"), "-rx", command],
                                  capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            if check:
                raise
            return ""
        out = done.stdout.decode(errors="replace")
        if check and done.returncode != 0:
            raise RuntimeError(f"{self.name}: `{command}` failed ({done.returncode}): {out}{done.stderr!r}")
        return out

    def kill9(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.rx("core stop now", check=False, timeout=10)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.kill9()

    def wait_exit(self, timeout: float) -> int | None:
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def wait_for(self, command: str, pattern: str, timeout: float = 30.0) -> str:
        """Run ``command`` until its output matches ``pattern`` (a regex); return that output."""
        deadline = time.monotonic() + timeout
        out = ""
        while time.monotonic() < deadline:
            out = self.rx(command, check=False)
            if re.search(pattern, out):
                return out
            time.sleep(0.3)
        raise AssertionError(f"{self.name}: `{command}` never matched {pattern!r}; last output:\n{out}\n{self.tail()}")

    def remove(self) -> None:
        self.kill9()
        shutil.rmtree(self.root, ignore_errors=True)
