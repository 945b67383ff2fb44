"""PbxSimulator scenarios end to end: our AgiServer on one side, a raw AMI client on the other."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace

import pytest

from callcenter.ami.codec import AmiDecoder, Message, encode_action
from callcenter.audiosocket.codec import AudioSocketDecoder, Frame, Kind
from callcenter.pbxsim import SCENARIOS, PbxSimulator
from callcenter.pbxsim.manager_user import READ_ALL
from ivr.agi.server import AgiServer
from ivr.agi.session import AgiSession

USER, SECRET = "hotline", "test-secret"


def fake_clock(start: float = 1732350000.0, step: float = 0.25) -> Callable[[], float]:
    ticks = itertools.count()
    return lambda: start + next(ticks) * step


class AmiClient:
    """Raw asyncio socket + AmiDecoder; keeps every message received."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.decoder = AmiDecoder()
        self.messages: list[Message] = []
        self.raw = bytearray()
        self._seen = 0

    @classmethod
    async def connect(cls, port: int) -> AmiClient:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, action: str, headers: list[tuple[str, str]] | dict[str, str] = (), aid: str | None = None) -> None:
        self.writer.write(encode_action(action, headers, aid))
        await self.writer.drain()

    async def until(self, pred: Callable[[Message], bool], timeout: float = 5.0) -> Message:
        async def read() -> Message:
            while True:
                while self._seen < len(self.messages):
                    msg = self.messages[self._seen]
                    self._seen += 1
                    if pred(msg):
                        return msg
                data = await self.reader.read(65536)
                if not data:
                    raise EOFError("AMI server closed the connection")
                self.raw += data
                self.messages += self.decoder.feed(data)

        return await asyncio.wait_for(read(), timeout)

    async def login(self) -> None:
        await self.send("Login", {"Username": USER, "Secret": SECRET}, "login")
        await self.until(lambda m: m.name == "FullyBooted")

    def events(self, name: str | None = None) -> list[Message]:
        return [m for m in self.messages if m.kind == "event" and (name is None or m.name == name)]


@dataclass
class RouteLog:
    seen: dict[str, list[object]] = field(default_factory=dict)

    def add(self, key: str, value: object) -> None:
        self.seen.setdefault(key, []).append(value)


def make_routes(log: RouteLog) -> dict[str, Callable[[AgiSession], object]]:
    """Tiny stand-ins for the real IVR routes (the simulator must not depend on their internals)."""

    async def hotline(s: AgiSession) -> None:
        await s.answer()
        menu = await s.get_data("zt-menu", 5000, 1)
        log.add("menu", menu)
        if menu == "2":
            sub = await s.stream_file("zt-submenu", "12")
            log.add("sub", chr(sub.result or 48))
            rec = await s.command("RECORD FILE", "/tmp/msg", "wav", "#", 20000, "BEEP")
            log.add("record", rec.text)
            await s.set_variable("ZT_NEXT", "hangup")
            bye = await s.stream_file("zt-goodbye", "#")
            log.add("bye", bye.result)
            await s.verbose("after hangup")
            log.add("hung_up", s.hung_up)
        elif menu == "0":
            await s.set_variable("ZT_NEXT", "agent")

    async def survey(s: AgiSession) -> None:
        log.add("order", await s.get_variable("ZT_ORDER_NUMBER"))
        score = await s.get_data("zt-survey", 5000, 1)
        log.add("score", score)
        await s.set_variable("ZT_SURVEY_SCORE", score or "")
        await s.exec("UserEvent", "SurveyDone", f"Score: {score}")

    return {"hotline": hotline, "survey": survey}


@dataclass
class Harness:
    sim: PbxSimulator
    ami: AmiClient
    log: RouteLog
    audio: list[list[Frame]]


async def _audiosocket_server(frames: list[list[Frame]]) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        dec, got = AudioSocketDecoder(), []
        frames.append(got)
        while data := await reader.read(4096):
            got.extend(dec.feed(data))
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


@contextlib.asynccontextmanager
async def harness(**kwargs: object) -> AsyncIterator[Harness]:
    log = RouteLog()
    agi = AgiServer(make_routes(log), header_timeout=2, command_timeout=5)
    srv = await agi.start("127.0.0.1", 0)
    audio: list[list[Frame]] = []
    as_srv = await _audiosocket_server(audio)
    options: dict[str, object] = {"audiosocket_target": ("127.0.0.1", as_srv.sockets[0].getsockname()[1]), **kwargs}
    sim = PbxSimulator(
        agi_target=("127.0.0.1", srv.sockets[0].getsockname()[1]),
        username=USER, secret=SECRET, clock=fake_clock(), auth_fail_delay=0.01, agi_timeout=5, **options,  # type: ignore[arg-type]
    )
    await sim.start()
    ami = await AmiClient.connect(sim.ami_port)
    try:
        await ami.login()
        yield Harness(sim, ami, log, audio)
    finally:
        ami.writer.close()
        await sim.close()
        await agi.close()
        as_srv.close()
        await as_srv.wait_closed()


async def settle(h: Harness) -> list[Message]:
    """Ping round trip: every event broadcast before it has been read."""
    await h.ami.send("Ping", aid="settle")
    await h.ami.until(lambda m: m.action_id == "settle")
    return h.ami.events()


def call_events(events: list[Message], linkedid: str) -> list[Message]:
    return [m for m in events if m.get("Linkedid") == linkedid or m.get("UniqueID") == linkedid]


def check_lifecycle(events: list[Message], linkedid: str, *, shipped_user: bool = True) -> list[Message]:
    mine = [m for m in events if m.get("Linkedid") == linkedid]
    assert mine and mine[0].name == "Newchannel"
    uids = {m.get("Uniqueid") for m in mine}
    hangups = {m.get("Uniqueid") for m in mine if m.name == "Hangup"}
    assert hangups == uids, "every channel of the call hangs up"
    cdrs = {m.get("UniqueID") for m in events if m.name == "Cdr"}
    assert mine[0].get("Uniqueid") in cdrs, "the call's first channel has a Cdr"
    if shipped_user:
        assert not {m.name for m in events} & {"VarSet", "Newexten"}, "the shipped manager user reads no dialplan class"
    return mine


def digits(events: list[Message], name: str = "DTMFEnd") -> str:
    return "".join(m.get("Digit") or "" for m in events if m.name == name)


async def test_ivr_leave_message() -> None:
    async with harness() as h:
        res = await h.sim.run(SCENARIOS["ivr_leave_message"])
        events = await settle(h)
    mine = check_lifecycle(events, res.linkedid)
    assert h.log.seen == {"menu": ["2"], "sub": ["1"], "record": ["result=35 (dtmf) endpos=44936"],
                          "bye": [-1], "hung_up": [True]}
    assert digits(mine) == digits(mine, "DTMFBegin") == "21#"
    assert all(m.get("Direction") == "Received" for m in mine if m.name.startswith("DTMF"))
    assert (res.variables["ZT_NEXT"], res.variables["AGISTATUS"]) == ("hangup", "HANGUP")
    recording = next(m for m in mine if m.name == "UserEvent")  # right after MixMonitor, as the dialplan does
    assert recording.get("UserEvent") == "ZhitongRecording"
    assert recording.get("File") == f"/var/spool/asterisk/zhitong/recordings/call-{res.uniqueid}.wav"
    starts = [m.get("Command") for m in mine if m.name == "AGIExecStart"]
    assert starts[:2] == ["ANSWER", "GET DATA zt-menu 5000 1"]
    transcript = res.agi[0]
    assert transcript.closed_by_server
    assert transcript.replies[-2:] == ["HANGUP", "200 result=1"]
    names = [m.name for m in mine]
    assert names.index("HangupRequest") < names.index("Hangup")
    assert res.caller_pressed == ["2", "1", "#"]


async def test_ivr_hangup_mid_menu() -> None:
    async with harness() as h:
        res = await h.sim.run(SCENARIOS["ivr_hangup_mid_menu"])
        events = await settle(h)
    mine = check_lifecycle(events, res.linkedid)
    assert h.log.seen == {"menu": [None]}  # GET DATA answered result=-1
    assert res.agi[0].replies == ["200 result=0", "200 result=-1"]
    assert digits(mine) == ""
    assert res.variables["AGISTATUS"] == "HANGUP"
    assert not [m for m in mine if m.name.startswith("Queue")]


async def test_zt_next_agent_goes_to_queue() -> None:
    async with harness() as h:
        sc = replace(SCENARIOS["ivr_hangup_mid_menu"], name="ivr_agent", presses=("0",))
        res = await h.sim.run(sc)
        events = await settle(h)
    mine = check_lifecycle(events, res.linkedid)
    names = [m.name for m in mine]
    for a, b in itertools.pairwise(["QueueCallerJoin", "AgentCalled", "QueueCallerLeave", "AgentConnect",
                                    "AgentComplete"]):
        assert names.index(a) < names.index(b)
    assert {m.get("Channel") for m in mine if m.name == "Newchannel"} == {
        m.get("Channel") for m in mine if m.name == "Hangup"}


@pytest.mark.parametrize(("num", "name", "ami_num", "ami_name", "agi_num", "agi_name"), [
    ("anonymous", "Anonymous", "anonymous", "Anonymous", "anonymous", "Anonymous"),  # SIP withheld
    ("", "", "<unknown>", "<unknown>", "unknown", "unknown"),  # no caller ID (manager_channels.c, res_agi.c)
    ("13800138000", "", "13800138000", "<unknown>", "13800138000", "unknown"),
])
async def test_caller_ids_are_presented_as_asterisk_presents_them(num, name, ami_num, ami_name, agi_num,
                                                                  agi_name) -> None:
    async with harness() as h:
        res = await h.sim.run(replace(SCENARIOS["ivr_leave_message"], caller_num=num, caller_name=name))
        events = await settle(h)
    mine = check_lifecycle(events, res.linkedid)
    assert {(m.get("CallerIDNum"), m.get("CallerIDName")) for m in mine if m.name == "Newchannel"} == {
        (ami_num, ami_name)}
    head = res.agi[0].header.decode()
    assert f"\nagi_callerid: {agi_num}\nagi_calleridname: {agi_name}\n" in head
    cdr = next(m for m in events if m.name == "Cdr" and m.get("UniqueID") == res.linkedid)
    assert (cdr.get("Source"), cdr.get("CallerID")) == (num, f'"{name}" <{num}>')


@pytest.mark.parametrize(("status", "joined"), [("JOINEMPTY", False), ("TIMEOUT", True), ("LEAVEEMPTY", True)])
async def test_a_queue_without_agents_returns_and_the_message_agi_runs(status: str, joined: bool) -> None:
    # READ_ALL: this test follows the dialplan (Newexten, VarSet), which the shipped user never reads
    async with harness(manager_user=READ_ALL) as h:
        sc = replace(SCENARIOS["ivr_hangup_mid_menu"], name="ivr_no_agent", presses=("0", ""), queue_status=status)
        res = await h.sim.run(sc)
        events = await settle(h)
    mine = check_lifecycle(events, res.linkedid, shipped_user=False)
    names = [m.name for m in mine]
    assert ("QueueCallerJoin" in names) is joined and ("QueueCallerLeave" in names) is joined
    assert "AgentCalled" not in names and len({m.get("Uniqueid") for m in mine}) == 1
    assert [m.get("Value") for m in mine if m.get("Variable") == "QUEUESTATUS"] == [status]
    assert len(res.agi) == 2 and b"agi_context: hotline-queue\n" in res.agi[1].header
    assert res.agi[1].header.endswith(b"agi_arg_1: message\n\n")
    # The stand-in route took no message (ZT_NEXT stays empty): the dialplan apologises and hangs up.
    plays = [m.get("AppData") for m in mine if m.name == "Newexten" and m.get("Application") == "Playback"]
    assert plays == ["zhitong/queue-busy", "zhitong/goodbye"]
    # hotline-in clears ZT_NEXT before its AGI, the menu sets "agent", hotline-queue clears it again
    assert [m.get("Value") for m in mine if m.get("Variable") == "ZT_NEXT"] == ["", "agent", ""]


async def test_queue_call() -> None:
    async with harness() as h:
        res = await h.sim.run(SCENARIOS["queue_call"])
        events = await settle(h)
    mine = check_lifecycle(events, res.linkedid)
    assert len({m.get("Uniqueid") for m in mine}) == 2  # caller + agent, one Linkedid
    done = next(m for m in mine if m.name == "AgentComplete")
    assert (done.get("Reason"), done.get("TalkTime"), done.get("MemberName")) == ("agent", "5", "Agent 1001")
    assert done.get("DestLinkedid") == res.linkedid
    join = next(m for m in mine if m.name == "QueueCallerJoin")
    assert (join.get("Queue"), join.get("Position"), join.get("Count")) == ("hotline-q", "1", "1")


@pytest.mark.parametrize(("name", "reason", "cause"), [("originate_busy", "5", "17"), ("originate_no_answer", "3", "19")])
async def test_originate_failures_via_ami(name: str, reason: str, cause: str) -> None:
    async with harness() as h:
        h.sim.expect_originate(SCENARIOS[name])
        await h.ami.send("Originate", [("Channel", "PJSIP/13800138000@trunk"), ("Context", "callback"),
                                       ("Exten", "s"), ("Priority", "1"), ("Async", "true"),
                                       ("Timeout", "30000")], "orig-1")
        resp = await h.ami.until(lambda m: m.kind == "response" and m.action_id == "orig-1")
        ev = await h.ami.until(lambda m: m.name == "OriginateResponse")
        events = await settle(h)
    assert (resp.get("Response"), resp.get("Message")) == ("Success", "Originate successfully queued")
    assert ev.action_id == "orig-1"
    assert (ev.get("Response"), ev.get("Reason"), ev.get("Uniqueid")) == ("Failure", reason, "<unknown>")
    assert ev.get("Channel") == "PJSIP/13800138000@trunk"
    newchan = next(m for m in events if m.name == "Newchannel")
    mine = check_lifecycle(events, newchan.get("Linkedid") or "")
    assert next(m for m in mine if m.name == "Hangup").get("Cause") == cause


async def test_originate_sync_busy_is_error() -> None:
    async with harness() as h:
        h.sim.expect_originate(SCENARIOS["originate_busy"])
        await h.ami.send("Originate", [("Channel", "PJSIP/1@trunk"), ("Application", "Playback"),
                                       ("Data", "beep")], "sync-1")
        resp = await h.ami.until(lambda m: m.kind == "response" and m.action_id == "sync-1")
    assert (resp.get("Response"), resp.get("Message")) == ("Error", "Originate failed")


async def test_originate_answered_reaches_survey() -> None:
    async with harness() as h:
        h.sim.expect_originate(SCENARIOS["originate_answered"])
        await h.ami.send("Originate", [("Channel", "PJSIP/13800138000@trunk"), ("Context", "zt-callback"),
                                       ("Exten", "s"), ("Priority", "1"), ("Async", "true"),
                                       ("CallerID", '"Zhitong" <12345>'),
                                       ("Variable", "ZT_ORDER_NUMBER=GD-42")], "orig-ok")
        ev = await h.ami.until(lambda m: m.name == "OriginateResponse")
        ue = await h.ami.until(lambda m: m.name == "UserEvent")
        await h.ami.until(lambda m: m.name == "Cdr")  # the callback ends after the survey
        events = await settle(h)
    assert (ev.get("Response"), ev.get("Reason"), ev.action_id) == ("Success", "4", "orig-ok")
    assert (ev.get("Context"), ev.get("Exten"), ev.get("CallerIDNum")) == ("zt-callback", "s", "12345")
    assert h.log.seen == {"order": ["GD-42"], "score": ["1"]}
    assert (ue.get("UserEvent"), ue.get("Score")) == ("SurveyDone", "1")
    mine = check_lifecycle(events, ev.get("Uniqueid") or "")
    assert digits([m for m in mine if m.get("Uniqueid") == ev.get("Uniqueid")]) == "1"
    assert h.sim.results[-1].variables["ZT_SURVEY_SCORE"] == "1"


async def test_self_run_originate_uses_scenario_variables() -> None:
    async with harness() as h:
        res = await h.sim.run(SCENARIOS["originate_answered"])
        await settle(h)
    assert res.originate_reason == 4
    assert h.log.seen["order"] == ["20261123-0001"]


async def test_fax_received() -> None:
    async with harness() as h:
        res = await h.sim.run(SCENARIOS["fax_received"])
        events = await settle(h)
    mine = check_lifecycle(events, res.linkedid)
    assert [m.get("Status") for m in mine if m.name == "FAXStatus"] == [
        "Allocating Resources", "FAX Transmission In Progress"]
    rx = next(m for m in mine if m.name == "ReceiveFAX")
    assert (rx.get("PagesTransferred"), rx.get("TransferRate")) == ("1", "14400")
    result = next(m for m in mine if m.name == "UserEvent")
    assert (result.get("UserEvent"), result.get("Status")) == ("FaxResult", "SUCCESS")


async def test_audiosocket_call() -> None:
    async with harness() as h:
        res = await h.sim.run(SCENARIOS["audiosocket_call"])
        events = await settle(h)
    mine = check_lifecycle(events, res.linkedid)
    (frames,) = h.audio  # the spy leg's stream: announced on the caller's channel, then streamed
    assert frames[0].kind is Kind.UUID
    announced = next(m for m in mine if m.name == "UserEvent" and m.get("UserEvent") == "ZhitongAudioSocket")
    assert str(frames[0].uuid) == announced.get("UUID")
    assert [f.digit for f in frames if f.kind is Kind.DTMF] == ["5"]
    audio = [f for f in frames if f.kind is Kind.AUDIO]
    assert len(audio) == 50 and all(len(f.payload) == 320 for f in audio)  # 1 s of 20 ms frames
    assert frames[-1].kind is not Kind.HANGUP  # Asterisk just closes TCP


async def test_core_show_channels_during_call() -> None:
    async with harness(time_scale=None) as h:
        sc = replace(SCENARIOS["queue_call"], ring_s=0.0, talk_s=0.3, time_scale=1.0)
        task = asyncio.create_task(h.sim.run(sc))
        await h.ami.until(lambda m: m.name == "AgentConnect")
        await h.ami.send("CoreShowChannels", aid="csc")
        items = []
        while True:
            m = await h.ami.until(lambda m: m.action_id == "csc")
            if m.name == "CoreShowChannelsComplete":
                break
            items.append(m)
        await task
    assert items[0].kind == "response" and items[0].get("EventList") == "start"
    # the caller, the two halves of its live-transcription spy leg, the agent
    assert [m.name for m in items[1:]] == ["CoreShowChannel"] * 4
    assert m.get("ListItems") == "4"


async def test_run_forever_loops_until_cancelled() -> None:
    async with harness() as h:
        task = asyncio.create_task(h.sim.run_forever([SCENARIOS["fax_received"]], interval_s=0))
        while len(h.sim.results) < 3:
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert {r.scenario for r in h.sim.results} == {"fax_received"}
    assert len({r.linkedid for r in h.sim.results}) == len(h.sim.results)
