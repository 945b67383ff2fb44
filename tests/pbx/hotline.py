"""The hotline Asterisk: the shipped docker/asterisk/conf with only paths, ports, hosts and the
run-as user changed, its secrets rendered by docker/asterisk/entrypoint.sh itself.

Every change to a shipped file is a regex substitution that must match exactly once, so a
renamed setting fails here instead of silently testing something else.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.pbx.asterisk import Asterisk

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "docker" / "asterisk"


@dataclass(frozen=True)
class HotlinePorts:
    sip: int
    ami: int
    agi: int
    audiosocket: int
    rtp_start: int


@dataclass(frozen=True)
class HotlineSecrets:
    ami: str = "pbx-test-ami-secret"
    agent: str = "pbx-test-agent-password"
    trunk_user: str = "hotline"
    trunk_password: str = "pbx-test-trunk-password"


def substitute(text: str, pattern: str, replacement: str, what: str) -> str:
    new, n = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    if n != 1:
        raise AssertionError(f"shipped config changed: {what} matched {n} times")
    return new


def render(pbx: Asterisk, ports: HotlinePorts, secrets: HotlineSecrets, trunk_host: str) -> None:
    """Write the hotline's configuration into ``pbx.root`` (prepare() must have run)."""
    etc = pbx.etc
    pbx.prepare((SHIPPED / "conf" / "asterisk.conf").read_text())
    for conf in (SHIPPED / "conf").iterdir():
        if conf.name != "asterisk.conf":
            shutil.copy(conf, etc / conf.name)
    spool = pbx.root / "spool" / "zhitong"

    edits = {
        "manager.conf": [(r"^port = 5038$", f"port = {ports.ami}", "AMI port"),
                         (r"^bindaddr = 0\.0\.0\.0$", "bindaddr = 127.0.0.1", "AMI bind address")],
        "pjsip.conf": [(r"^bind = 0\.0\.0\.0:5060$", f"bind = 127.0.0.1:{ports.sip}", "SIP bind")],
        "rtp.conf": [(r"^rtpstart = \d+$", f"rtpstart = {ports.rtp_start}", "RTP start"),
                     (r"^rtpend = \d+$", f"rtpend = {ports.rtp_start + 99}", "RTP end")],
        "extensions.conf": [
            (r"^ZT_AGI_HOST = app$", "ZT_AGI_HOST = 127.0.0.1", "AGI host"),
            (r"^ZT_AGI_PORT = 4573$", f"ZT_AGI_PORT = {ports.agi}", "AGI port"),
            (r"^ZT_AUDIOSOCKET_PORT = 9092$", f"ZT_AUDIOSOCKET_PORT = {ports.audiosocket}", "AudioSocket port"),
            (r"^ZT_RECDIR = .*$", f"ZT_RECDIR = {spool / 'recordings'}", "recordings dir"),
            (r"^ZT_FAXDIR = .*$", f"ZT_FAXDIR = {spool / 'fax'}", "fax dir"),
        ],
    }
    for name, subs in edits.items():
        text = (etc / name).read_text()
        for pattern, replacement, what in subs:
            text = substitute(text, pattern, replacement, f"{name}: {what}")
        (etc / name).write_text(text)

    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "ZT_ASTERISK_ETC": str(etc), "ZT_ASTERISK_SHARE": str(SHIPPED / "templates"),
        "ZT_ASTERISK_SPOOL": str(spool), "ZT_ASTERISK_PROMPTS": str(pbx.sounds / "zhitong"),
        "ZT_AMI_SECRET": secrets.ami, "ZT_AGENT_PASSWORD": secrets.agent,
        "ZT_TRUNK_HOST": trunk_host, "ZT_TRUNK_USER": secrets.trunk_user,
        "ZT_TRUNK_PASSWORD": secrets.trunk_password,
    }
    done = subprocess.run(["sh", str(SHIPPED / "entrypoint.sh"), "--render-only"], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"entrypoint.sh --render-only failed: {done.stderr}")
