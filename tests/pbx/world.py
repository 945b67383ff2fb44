"""The whole telephone world of the real-PBX tests: hotline Asterisk (shipped config), carrier
Asterisk (network, callees, agent softphone) and `zhitong serve`, on free loopback ports."""

from __future__ import annotations

import itertools
import random
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.pbx import carrier as carrier_conf
from tests.pbx import hotline as hotline_conf
from tests.pbx.ami import AmiTap, Event
from tests.pbx.app import ADMIN_PASSWORD, App, child_env
from tests.pbx.asterisk import Asterisk
from tests.pbx.audio import clip_8k, tone

REPO = Path(__file__).resolve().parents[2]
BOTH_DATABASES = ["sqlite", "postgresql"]  # a module's BACKENDS when the database matters


def free_port(kind: int = socket.SOCK_STREAM, host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def free_loopback_pair() -> tuple[str, str]:
    """Two unused 127.x.y.2/.3 addresses whose SIP port 5060 is free (the carrier binds both)."""
    for _ in range(50):
        net = f"127.{random.randint(1, 254)}.{random.randint(0, 254)}"
        try:
            for last in (2, 3):
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    s.bind((f"{net}.{last}", 5060))
        except OSError:
            continue
        return f"{net}.2", f"{net}.3"
    raise RuntimeError("no free loopback address for the carrier")


def rtp_base() -> int:
    return random.randrange(20000, 59000, 100)


@dataclass
class World:
    root: Path
    prefix: Path
    shared: Path
    database_url: str
    hotline: Asterisk = field(init=False)
    carrier: Asterisk = field(init=False)
    app: App = field(init=False)
    secrets: hotline_conf.HotlineSecrets = field(default_factory=hotline_conf.HotlineSecrets)
    clips: dict[str, str] = field(default_factory=dict)
    nodes: list[App] = field(default_factory=list)  # app nodes beyond the first
    _tags: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.heard = self.root / "heard"
        self.heard.mkdir(parents=True, exist_ok=True)
        self.ports = hotline_conf.HotlinePorts(sip=free_port(socket.SOCK_DGRAM), ami=free_port(), agi=free_port(),
                                          audiosocket=free_port(), rtp_start=rtp_base())
        trunk_ip, phone_ip = free_loopback_pair()
        self.addr = carrier_conf.CarrierAddresses(trunk_ip=trunk_ip, phone_ip=phone_ip, ami_port=free_port(),
                                             rtp_start=rtp_base())
        self.hotline = Asterisk("hotline", self.prefix, self.root / "hotline")
        self.carrier = Asterisk("carrier", self.prefix, self.root / "carrier")
        self.spool = self.hotline.root / "spool" / "zhitong"

    # -- set-up ---------------------------------------------------------------------------------------

    def clip(self, stem: str) -> str:
        if stem not in self.clips:
            src = self.shared / "asr_testset" / f"{stem}.wav"
            self.clips[stem] = clip_8k(src, self.heard.parent / "clips")
        return self.clips[stem]

    def build(self, agent_clip_stem: str, agent_talk_s: int = 6) -> None:
        (self.root / "clips").mkdir(exist_ok=True)
        hotline_conf.render(self.hotline, self.ports, self.secrets, self.addr.trunk_ip)
        tone(self.hotline.root / "lib" / "moh" / "tone.wav")
        self.build_prompts()
        carrier_conf.render(self.carrier, self.addr, hotline_sip=f"127.0.0.1:{self.ports.sip}",
                       trunk_user=self.secrets.trunk_user, trunk_password=self.secrets.trunk_password,
                       agent_password=self.secrets.agent, heard_dir=self.heard,
                       agent_clip=self.clip(agent_clip_stem), agent_talk_s=agent_talk_s)

    def build_prompts(self) -> None:
        """`zhitong prompts build` as an operator runs it, once per test session (8 s of espeak-ng):
        later worlds copy the first one's output."""
        cache = self.root.parent / "pbx-prompts"
        target = self.hotline.sounds / "zhitong"
        if (cache / "zhitong").is_dir():
            shutil.copytree(cache / "zhitong", target, dirs_exist_ok=True)
            return
        built = subprocess.run([sys.executable, "-m", "callcenter.cli", "prompts", "build", "--out",
                                str(self.hotline.sounds)], capture_output=True, text=True, check=False,
                               env=child_env({}))
        if built.returncode != 0:
            raise RuntimeError(f"zhitong prompts build failed: {built.stderr}")
        shutil.copytree(target, cache / "zhitong", dirs_exist_ok=True)

    def app_env(self) -> dict[str, str]:
        return {
            "ZHITONG_DATABASE_URL": self.database_url, "ZHITONG_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "ZHITONG_AMI_HOST": "127.0.0.1", "ZHITONG_AMI_PORT": str(self.ports.ami),
            "ZHITONG_AMI_USERNAME": "zhitong", "ZHITONG_AMI_SECRET": self.secrets.ami, "ZHITONG_AMI_AUTH": "md5",
            "ZHITONG_AGI_HOST": "127.0.0.1", "ZHITONG_AGI_PORT": str(self.ports.agi),
            "ZHITONG_AUDIOSOCKET_HOST": "127.0.0.1", "ZHITONG_AUDIOSOCKET_PORT": str(self.ports.audiosocket),
            "ZHITONG_RECORDINGS_DIR": str(self.spool / "recordings"),
            "ZHITONG_FAX_INCOMING_DIR": str(self.spool / "fax"),
            "ZHITONG_ASR_MODEL": str(self.shared / "asr_models" / "vosk-model-small-cn-0.22"),
            "ZHITONG_SMS": "log", "ZHITONG_LOG_LEVEL": "INFO", "ZHITONG_PBX_TIMEZONE": "UTC",
            # surveys may ring whenever the tests run (weekends too: today is declared a working day)
            "ZHITONG_CALLBACK_WINDOWS": "00:00-23:59", "ZHITONG_CALLBACK_TICK_S": "2",
            "ZHITONG_CALENDAR_OVERRIDES": str(self.calendar_file()),
        }

    def calendar_file(self) -> Path:
        path = self.root / "calendar.toml"
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        days = ", ".join(f'"{today + timedelta(days=d)}"' for d in range(3))
        path.write_text(f"[calendar]\nextra_workdays = [{days}]\n")
        return path

    def start(self) -> None:
        self.hotline.start()
        self.carrier.start()
        self.hotline.wait_for("pjsip show registrations", r"carrier-reg.*Registered", 30)
        self.hotline.wait_for("pjsip show contacts", r"agent1001/sip:agent1001@.*Avail", 30)
        self.app = App(self.root / "app", self.app_env(), free_port())
        self.app.start()
        self.wait_app_ami()
        self.tap = AmiTap(self.addr.ami_port, "carrier", "carrier-ami-secret")

    def add_node(self) -> App:
        """Another app node on the same database and PBX (its FastAGI and AudioSocket listeners get
        ports of their own; the dialplan keeps pointing at the first node's)."""
        env = {**self.app_env(), "ZHITONG_AGI_PORT": str(free_port()), "ZHITONG_AUDIOSOCKET_PORT": str(free_port())}
        node = App(self.root / f"app-{len(self.nodes) + 2}", env, free_port())
        node.start()
        self.nodes.append(node)
        self.hotline.wait_for("manager show connected", r"(?s)zhitong.*zhitong", 30)
        return node

    def wait_app_ami(self, timeout: float = 30.0) -> None:
        self.hotline.wait_for("manager show connected", r"zhitong", timeout)

    def stop(self) -> None:
        for close in (lambda: self.tap.close(), *(n.stop for n in self.nodes), lambda: self.app.stop(),
                      self.carrier.stop, self.hotline.stop):
            try:
                close()
            except Exception:  # noqa: BLE001 - best effort teardown, the next part must still stop
                pass

    # -- callers --------------------------------------------------------------------------------------

    def tag(self) -> str:
        return f"c{next(self._tags)}"

    def call(self, script: list[str], *, number: str | None, name: str = "", did: str = "12345",
             withheld: bool = False) -> str:
        """Place a scripted call from the carrier to the hotline; return the caller's tag."""
        tag = self.tag()
        variables = [f"SCRIPT={'|'.join(script)}", f"CALLER_TAG={tag}"]
        if withheld:
            variables.append("__WITHHELD=1")
        fields: dict[str, str | list[str]] = {
            "Action": "Originate", "Channel": f"Local/{did}@dial/n", "Context": "caller",
            "Exten": "run", "Priority": "1", "Async": "true", "Timeout": "20000", "Variable": variables,
        }
        if number is not None or name:
            fields["CallerID"] = f'"{name}" <{number or ""}>' if name else (number or "")
        reply = self.tap.action(fields)
        assert reply.get("Response") == "Success", reply
        return tag

    def wait_caller_gone(self, tag: str, timeout: float = 120.0) -> Event:
        return self.tap.wait_event(lambda e: e.get("Event") == "UserEvent" and e.get("UserEvent") == "CallerGone"
                                   and e.get("Tag") == tag, timeout)

    def step_offset(self, tag: str, step: str) -> float:
        """Seconds from the caller's first script step to the start of ``step`` (a prefix)."""
        def mine(e: Event) -> bool:
            return e.get("UserEvent") == "CallerStep" and e.get("Tag") == tag
        first = self.tap.wait_event(mine, 5)
        this = self.tap.wait_event(lambda e: mine(e) and (e.get("Step") or "").startswith(step), 5)
        return float(this["_at"]) - float(first["_at"])

    def heard_file(self, tag: str) -> Path:
        path = self.heard / f"{tag}-heard.wav"
        deadline = time.monotonic() + 10
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        return path
