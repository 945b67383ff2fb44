"""What the simulator sends has the shape of what Asterisk 22.10.1 sent in the captures.

The captures were made with a lab manager user that reads every class; the app's user in the
shipped manager.conf reads fewer (no dialplan, no security), which the simulator applies by
default. Events the captures do not have (the spy leg, Local channel pairs, bridges, dials) are
compared with the real PBX by tests/pbx/test_parity.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest

from callcenter.ami.codec import AmiDecoder, Message, encode_action
from callcenter.pbxsim import SCENARIOS, PbxSimulator
from callcenter.pbxsim.agi_client import header_block
from callcenter.pbxsim.agi_commands import AgiChannelSim
from callcenter.pbxsim.caller import Caller
from callcenter.pbxsim.channel import Channel
from callcenter.pbxsim.manager_user import READ_ALL, SHIPPED, ManagerUser
from ivr.agi.codec import ReplyReader, parse_headers
from tests.test_pbxsim_scenarios import AmiClient, harness, settle

CAPTURE_SECRET = "hotline-lab-secret"


def _names(m: Message) -> tuple[str, ...]:
    return tuple(k for k, _ in m.headers)


@pytest.fixture(scope="module")
def captures(shared_dir: Path) -> Path:
    return shared_dir / "fixtures" / "asterisk"


@pytest.fixture(scope="module")
def capture_shapes(captures: Path) -> dict[str, set[tuple[str, ...]]]:
    shapes: dict[str, set[tuple[str, ...]]] = {}
    for f in sorted((captures / "ami").glob("*.rx.bin")):
        for m in AmiDecoder().feed(f.read_bytes()):
            if m.kind == "event":
                shapes.setdefault(m.name or "", set()).add(_names(m))
    return shapes


def _shape_ok(m: Message, shapes: dict[str, set[tuple[str, ...]]]) -> bool:
    # TechCause (the SIP response of a far end that refused or hung up) is in none of the captures,
    # made over Local channels; tests/pbx/test_parity.py sees it from chan_pjsip.
    names = tuple(n for n in _names(m) if n != "TechCause")
    known = shapes.get(m.name or "", set())
    if (m.name or "").startswith("Dial") and "Channel" not in names:  # dialled by an Originate: no caller block
        block = {k for k, _ in Channel("x", "1", "1").block()}
        known = {tuple(n for n in k if n not in block) for k in known}
    if m.name == "UserEvent":  # custom fields follow the UserEvent header
        cut = names.index("UserEvent") + 1
        return any(k[: k.index("UserEvent") + 1] == names[:cut] for k in known)
    return names in known


DIALPLAN_AND_SECURITY = {"Newexten", "VarSet", "SuccessfulAuth"}


@pytest.mark.parametrize(("user", "sent", "not_sent"), [
    (SHIPPED, set(), DIALPLAN_AND_SECURITY),  # what the app gets
    (READ_ALL, DIALPLAN_AND_SECURITY, set()),  # what the captures' lab user got: the PBX raises them all
])
async def test_every_emitted_event_the_captures_know_has_a_captured_shape(
        capture_shapes: dict, user: ManagerUser, sent: set[str], not_sent: set[str]) -> None:
    async with harness(manager_user=user) as h:
        for name in ("ivr_leave_message", "ivr_hangup_mid_menu", "queue_call", "originate_busy",
                     "originate_no_answer", "originate_answered", "fax_received", "audiosocket_call"):
            await h.sim.run(SCENARIOS[name])
        events = await settle(h)
    emitted = {m.name for m in events}
    assert {"Newchannel", "Newstate", "DTMFBegin", "DTMFEnd", "AGIExecStart", "AGIExecEnd", "MixMonitorStart",
            "UserEvent", "QueueCallerJoin", "AgentCalled", "AgentConnect", "AgentComplete", "QueueCallerLeave",
            "SoftHangupRequest", "HangupRequest", "Hangup", "Cdr", "FAXStatus", "ReceiveFAX", "OriginateResponse",
            "FullyBooted", *sent} <= emitted
    assert not emitted & not_sent
    bad = [(m.name, _names(m)) for m in events if m.name in capture_shapes and not _shape_ok(m, capture_shapes)]
    assert bad == []


async def test_list_replies_have_captured_shapes(capture_shapes: dict, captures: Path) -> None:
    ref = {(m.kind, m.name, m.get("EventList")): _names(m)
           for m in AmiDecoder().feed((captures / "ami" / "inbound-ivr-call.rx.bin").read_bytes())}
    async with harness() as h:
        h.sim.live["x"] = Channel("PJSIP/trunk-00000001", "1732350000.1", "1732350000.1", created=1732350000.0)
        got = []
        for action, aid, last in (("CoreShowChannels", "c1", "CoreShowChannelsComplete"),
                                  ("Status", "s1", "StatusComplete")):
            await h.ami.send(action, aid=aid)
            while (m := await h.ami.until(lambda m, a=aid: m.action_id == a)).name != last:
                got.append(m)
            got.append(m)
    for m in got:
        if m.kind == "response":
            assert _names(m) == ref[("response", "Success", "start")]
        else:
            assert _names(m) in capture_shapes[m.name or ""], m.name


async def _exchange(port: int, tx: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(tx)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5)  # until the server closes
    writer.close()
    return data


async def test_login_failed_is_byte_identical(captures: Path) -> None:
    async with PbxSimulator(secret=CAPTURE_SECRET, auth_fail_delay=0.01, manager_user=READ_ALL) as sim:
        got = await _exchange(sim.ami_port, (captures / "ami" / "login-failed.tx.bin").read_bytes())
    assert got == (captures / "ami" / "login-failed.rx.bin").read_bytes()


async def test_login_ping_logoff_shapes(captures: Path) -> None:
    """Replay the capture's actions; supported ones answer with the same header names (and values)."""
    tx = (captures / "ami" / "login-ping-logoff.tx.bin").read_bytes()
    rx = (captures / "ami" / "login-ping-logoff.rx.bin").read_bytes()
    async with PbxSimulator(secret=CAPTURE_SECRET, auth_fail_delay=0.01, manager_user=READ_ALL) as sim:
        got = await _exchange(sim.ami_port, tx)
    assert got.startswith(b"Asterisk Call Manager/11.0.0\r\n") and rx.startswith(got[:30])

    def by_aid(data: bytes) -> dict[str | None, list[Message]]:
        out: dict[str | None, list[Message]] = {}
        for m in AmiDecoder().feed(data):
            if m.kind == "response" or m.name in ("CoreShowChannelsComplete", "FullyBooted", "SuccessfulAuth"):
                out.setdefault(m.action_id, []).append(m)
        return out

    want, have = by_aid(rx), by_aid(got)
    supported = {"lab-1-001", "lab-1-002", None, "lab-1-012", "lab-1-013", "lab-1-014", "lab-1-015", "lab-1-016"}
    for aid in supported:
        assert [_names(m) for m in have[aid]] == [_names(m) for m in want[aid]], aid
    for aid in ("lab-1-001", "lab-1-013", "lab-1-014", "lab-1-015", "lab-1-016"):
        assert have[aid][0].headers == want[aid][0].headers  # same values too


async def test_md5_challenge_login(captures: Path) -> None:
    ref = [_names(m) for m in AmiDecoder().feed((captures / "ami" / "login-md5-challenge.rx.bin").read_bytes())]
    async with PbxSimulator(secret=CAPTURE_SECRET, manager_user=READ_ALL) as sim:
        c = await AmiClient.connect(sim.ami_port)
        await c.send("Challenge", {"AuthType": "MD5"}, "lab-1-001")
        ch = await c.until(lambda m: m.action_id == "lab-1-001")
        key = hashlib.md5(((ch.get("Challenge") or "") + CAPTURE_SECRET).encode()).hexdigest()
        await c.send("Login", {"AuthType": "MD5", "Username": "hotline", "Key": key}, "lab-1-002")
        await c.until(lambda m: m.name == "SuccessfulAuth")
        await c.send("Logoff", aid="lab-1-003")
        await c.until(lambda m: m.action_id == "lab-1-003")
        with pytest.raises(EOFError):
            await c.until(lambda m: False)
    assert [_names(m) for m in c.messages] == ref
    assert c.decoder.banner == "Asterisk Call Manager/11.0.0"


async def test_md5_wrong_key_fails() -> None:
    async with PbxSimulator(secret="s", auth_fail_delay=0.01) as sim:
        c = await AmiClient.connect(sim.ami_port)
        await c.send("Challenge", {"AuthType": "MD5"}, "1")
        await c.send("Login", {"AuthType": "MD5", "Username": "hotline", "Key": "0" * 32}, "2")
        m = await c.until(lambda m: m.action_id == "2")
        assert (m.get("Response"), m.get("Message")) == ("Error", "Authentication failed")
        with pytest.raises(EOFError):
            await c.until(lambda m: False)


async def test_events_reach_only_logged_in_connections() -> None:
    async with PbxSimulator(secret="s") as sim:
        anon = await AmiClient.connect(sim.ami_port)
        await anon.send("Ping", aid="p")
        denied = await anon.until(lambda m: m.action_id == "p")
        await sim.run(SCENARIOS["fax_received"])
        anon.writer.write(encode_action("Ping", {}, "p2"))
        await anon.until(lambda m: m.action_id == "p2")
    assert (denied.get("Response"), denied.get("Message")) == ("Error", "Permission denied")
    assert anon.events() == []


def _agi_capture(captures: Path, name: str) -> tuple[dict, list[str], list[str]]:
    base = captures / "agi"
    headers = json.loads((base / f"{name}.headers.json").read_text())
    rx = (base / f"{name}.rx.bin").read_bytes().decode()
    replies = rx.split("\n\n", 1)[1].splitlines()
    return headers, (base / f"{name}.tx.bin").read_bytes().decode().splitlines(), replies


@pytest.mark.parametrize("name", ["agi-ivr-in-call", "agi-full-session"])
def test_agi_header_block_keys_and_order(captures: Path, name: str) -> None:
    want, _, _ = _agi_capture(captures, name)
    ch = Channel(want["agi_channel"], want["agi_uniqueid"], want["agi_uniqueid"], caller_num=want["agi_callerid"],
                 caller_name=want["agi_calleridname"], context=want["agi_context"], exten=want["agi_extension"],
                 priority=int(want["agi_priority"]))
    block = header_block(ch, "127.0.0.1", 4573, want["agi_network_script"],
                         [want[k] for k in want if k.startswith("agi_arg_")])
    lines = block.decode().split("\n")
    assert lines[-2:] == ["", ""]
    got = dict(line.split(": ", 1) if ": " in line else (line.rstrip(":"), "") for line in lines[:-2])
    assert list(got) == list(want)
    for key in ("agi_network", "agi_network_script", "agi_request", "agi_channel", "agi_uniqueid",
                "agi_callerid", "agi_calleridname", "agi_context", "agi_priority", "agi_type", "agi_version"):
        assert got[key] == want[key], key
    assert parse_headers(block).args == [want[k] for k in want if k.startswith("agi_arg_")]


@pytest.mark.parametrize("name", ["agi-ivr-in-call", "agi-full-session"])
async def test_agi_replies_match_capture(captures: Path, name: str) -> None:
    """The capture's commands, answered by the simulator, give the capture's reply lines."""
    _, commands, want = _agi_capture(captures, name)
    ch = Channel("Local/x@caller-sim-00000000;1", "1.0", "1.0", caller_num="+15551230001" if name == "agi-ivr-in-call"
                 else "+15551230005", state=6)
    events: list = []
    sim = AgiChannelSim(ch, Caller(["42#"]), events.append)
    got: list[str] = []
    for line in commands:
        got += await sim.handle(line)
    usage = [i for i, x in enumerate(want) if x.startswith("520")]
    if usage:  # the usage text itself is not reproduced, only its framing
        want = want[: usage[0] + 1] + ["<usage>"] + want[usage[-1]:]
        gu = [i for i, x in enumerate(got) if x.startswith("520")]
        got = got[: gu[0] + 1] + ["<usage>"] + got[gu[-1]:]
    assert got == want
    items = ReplyReader().feed("".join(x + "\n" for x in got if x != "<usage>").encode())
    assert len(items) == len(commands) + got.count("HANGUP")
    assert [e[0][1] for e in events if e[0][1].startswith("AGIExec")].count("AGIExecEnd") == len(commands)
