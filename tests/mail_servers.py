"""Real mail servers for the mailbox tests: Debian's dovecot (IMAP, with IDLE) started as an
unprivileged process on 127.0.0.1 with a throw-away config, and aiosmtpd as the SMTP server our
replies go to. In CI (CI=true) a missing dovecot fails the tests instead of skipping them."""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
USER, PASSWORD = "hotline@example.gov.cn", "mailbox-secret"

_CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
first_valid_uid = {uid}
mail_location = maildir:{root}/mail/%n
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%n
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0600
  }}
}}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dovecot:
    port: int
    root: Path
    process: subprocess.Popen[bytes]

    def client(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        imap.login(USER, PASSWORD)
        return imap

    def append(self, raw: bytes, folder: str = "INBOX", arrived: Any = None) -> None:
        """Deliver a mail the way a mail server's delivery agent would: APPEND to the folder
        (``arrived``: an aware datetime for its INTERNALDATE, else now)."""
        imap = self.client()
        try:
            typ, data = imap.append(folder, None, imaplib.Time2Internaldate(arrived) if arrived else None, raw)
            assert typ == "OK", data
        finally:
            imap.logout()

    def recreate(self, folder: str, raws: list[bytes]) -> None:
        """Delete and recreate a folder (not INBOX) with these mails: the server gives it a new UIDVALIDITY."""
        imap = self.client()
        try:
            assert imap.delete(folder)[0] == "OK"
            assert imap.create(folder)[0] == "OK"
            for raw in raws:
                assert imap.append(folder, None, None, raw)[0] == "OK"
        finally:
            imap.logout()

    def create(self, folder: str) -> None:
        imap = self.client()
        try:
            assert imap.create(folder)[0] == "OK"
        finally:
            imap.logout()


def _run_as() -> tuple[list[str], pwd.struct_passwd]:
    if os.geteuid() != 0:
        return [], pwd.getpwuid(os.geteuid())
    nobody = pwd.getpwnam("nobody")  # root: dovecot runs as an unprivileged user all the same
    return ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"], nobody


@contextlib.contextmanager
def dovecot_server() -> Iterator[Dovecot]:
    binary = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if binary is None:
        message = "dovecot is not installed (apt-get install dovecot-imapd)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    prefix, user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="zt-dovecot-"))
    port = free_port()
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
    config = root / "dovecot.conf"
    config.write_text(_CONFIG.format(root=root, user=user.pw_name, group=_group(user.pw_gid), uid=user.pw_uid,
                                     gid=user.pw_gid, port=port))
    for path in (root, *root.rglob("*")):
        os.chown(path, user.pw_uid, user.pw_gid)
    root.chmod(0o755)
    process = subprocess.Popen([*prefix, binary, "-F", "-c", str(config)], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    try:
        _wait_ready(process, port, root)
        yield Dovecot(port, root, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def _group(gid: int) -> str:
    import grp

    return grp.getgrgid(gid).gr_name


def _wait_ready(process: subprocess.Popen[bytes], port: int, root: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            out = process.stdout.read().decode(errors="replace") if process.stdout else ""
            log = (root / "dovecot.log").read_text(errors="replace") if (root / "dovecot.log").exists() else ""
            pytest.fail(f"dovecot exited ({process.returncode}): {out[-2000:]} {log[-2000:]}")
        try:
            imap = imaplib.IMAP4("127.0.0.1", port, timeout=5)
            imap.login(USER, PASSWORD)
            imap.logout()
            return
        except (OSError, imaplib.IMAP4.error):
            time.sleep(0.2)
    pytest.fail("dovecot did not accept an IMAP login within 30 s")


@dataclass
class SmtpSink:
    port: int
    received: list[Any] = field(default_factory=list)  # aiosmtpd Envelopes
    refuse: int | None = None  # answer every RCPT with this code (e.g. 451, 550)
    controller: Any = None


@contextlib.contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    from aiosmtpd.controller import Controller

    sink = SmtpSink(port=free_port())

    class Handler:
        async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
            if sink.refuse is not None:
                return f"{sink.refuse} refused by the test"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            sink.received.append(envelope)
            return "250 Message accepted"

    controller = Controller(Handler(), hostname="127.0.0.1", port=sink.port)
    controller.start()
    sink.controller = controller
    try:
        yield sink
    finally:
        controller.stop()
