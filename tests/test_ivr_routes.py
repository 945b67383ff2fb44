"""The hotline and survey routes over a real AgiServer on 127.0.0.1 with a scripted fake Asterisk."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest

from callcenter.blobs.files import valid_location
from ivr.agi.server import AgiServer
from ivr.ports import OrderStatusView
from ivr.routes import build_routes
from ivr.routes.driver import message_name
from tests.ivr_fakes import FakeAsterisk, FakeDesk

UID = "1795435368.7"
FALLBACK = "SET CONTEXT agi-fail"


@pytest.fixture
async def desk() -> FakeDesk:
    return FakeDesk(orders={"20261123-0007": OrderStatusView("20261123-0007", "办理中", "2026年11月30日18时")})


@pytest.fixture
async def server(desk: FakeDesk) -> AsyncIterator[tuple[AgiServer, int]]:
    srv = AgiServer(build_routes(desk))
    sock = await srv.start("127.0.0.1", 0)
    yield srv, sock.sockets[0].getsockname()[1]
    await srv.close()


async def call(server, script: str, inputs: list[str], *args: str, **variables: str) -> list[str]:
    srv, port = server
    commands = await FakeAsterisk(inputs, variables).call(port, script, *args)
    for _ in range(200):  # let the route finish its bookkeeping after the socket is gone
        if srv.live_sessions == 0:
            break
        await asyncio.sleep(0.01)
    return commands


def steps(commands: list[str]) -> list[str]:
    prefix = 'EXEC UserEvent "ZhitongIvr,Step: '
    return [c.removeprefix(prefix).removesuffix('"') for c in commands if c.startswith(prefix)]


def media(commands: list[str]) -> list[str]:
    return [c for c in commands if c.startswith(("STREAM FILE", "GET DATA", "RECORD FILE", "SET VARIABLE"))]


def recorded(commands: list[str], recdir: str) -> str:
    """The path (without extension) of the one RECORD FILE sent: msg-<uniqueid>-<token>."""
    [line] = [c for c in commands if c.startswith("RECORD FILE")]
    m = re.fullmatch(rf"RECORD FILE ({re.escape(recdir)}/msg-{re.escape(UID)}-[0-9a-f]{{8}}) wav # 120000 s=5", line)
    assert m, line
    # our own beep first: RECORD FILE's BEEP needs the stock sound "beep", which may not be installed
    assert commands[commands.index(line) - 1] == 'STREAM FILE zhitong/beep ""'
    assert not any("BEEP" in c for c in commands)
    return m.group(1)


def test_routes_registry(desk) -> None:
    assert set(build_routes(desk)) == {"hotline", "survey"}


async def test_order_status_read_back(server, desk) -> None:
    commands = await call(server, "hotline", ["4", "202611230007", "1"])
    assert commands[:2] == ["ANSWER", "GET FULL VARIABLE ${CHANNEL(linkedid)}"]
    assert steps(commands) == ["welcome", "main", "order", "order-after", "goodbye"]
    played = media(commands)
    assert played[:4] == [
        "STREAM FILE zhitong/welcome 0123456789*#",
        "GET DATA zhitong/main-menu 6000 1",
        "GET DATA zhitong/order-number 8000 13",
        'STREAM FILE zhitong/say-order ""',
    ]
    assert 'STREAM FILE zhitong/say-st-handling ""' in played
    assert played[-2:] == ['STREAM FILE zhitong/goodbye ""', 'SET VARIABLE ZT_NEXT "hangup"']
    assert desk.lookups == ["20261123-0007"]
    assert server[0].failures == 0 and server[0].fallbacks == 0


async def test_barge_in_during_welcome(server) -> None:
    commands = await call(server, "hotline", ["barge:0"])
    assert steps(commands) == ["welcome", "main", "agent"]
    assert not any(c.startswith("GET DATA") for c in commands)
    assert media(commands)[-1] == 'SET VARIABLE ZT_NEXT "agent"'


async def test_three_bad_inputs_go_to_agent(server) -> None:
    commands = await call(server, "hotline", ["9", "", "8"])
    assert media(commands)[1:] == [
        "GET DATA zhitong/main-menu 6000 1",
        "STREAM FILE zhitong/invalid-input 0123456789*#",
        "GET DATA zhitong/main-menu 6000 1",
        "STREAM FILE zhitong/no-input 0123456789*#",
        "GET DATA zhitong/main-menu 6000 1",
        'STREAM FILE zhitong/to-agent ""',
        'SET VARIABLE ZT_NEXT "agent"',
    ]


async def test_order_not_found_three_times_goes_to_agent(server, desk) -> None:
    commands = await call(server, "hotline", ["4", "202611230001", "202611230002", "202611230003"])
    assert len(desk.lookups) == 3 and commands.count('STREAM FILE zhitong/order-not-found ""') == 2
    assert media(commands)[-1] == 'SET VARIABLE ZT_NEXT "agent"'


async def test_leave_message_ended_by_hash(server, desk) -> None:
    commands = await call(
        server, "hotline", ["2", "1", "200 result=35 (dtmf) endpos=40000"], ZT_RECDIR="/srv/zt/rec"
    )
    base = recorded(commands, "/srv/zt/rec")
    assert desk.messages == [{
        "caller": "13800138000", "caller_name": "张三", "recording": f"{base}.wav",
        "uniqueid": UID, "linkedid": "1795435368.6", "menu_choice": "report",
    }]
    assert media(commands)[-3:] == [
        'SET VARIABLE ZT_DRAFT "20261123-0001"',
        'STREAM FILE zhitong/message-thanks ""',
        'SET VARIABLE ZT_NEXT "hangup"',
    ]
    assert steps(commands) == ["welcome", "main", "report", "leave-message", "message-thanks"]


async def test_message_entry_after_the_queue_gave_up(server, desk) -> None:
    commands = await call(server, "hotline", ["200 result=0 (timeout) endpos=960000"], "message")
    assert steps(commands) == ["agents-busy", "leave-message", "message-thanks"]
    assert [m["menu_choice"] for m in desk.messages] == [None]
    # The caller heard "正在为您转接…" before the queue: now why nobody answered, then the offer.
    base = recorded(commands, "/var/spool/asterisk/zhitong")
    assert media(commands)[:4] == ['STREAM FILE zhitong/agents-busy ""', 'STREAM FILE zhitong/leave-message ""',
                                   'STREAM FILE zhitong/beep ""', f"RECORD FILE {base} wav # 120000 s=5"]
    assert media(commands)[-1] == 'SET VARIABLE ZT_NEXT "hangup"'


async def test_every_recording_attempt_of_one_channel_gets_a_file_of_its_own(server, desk) -> None:
    """The menu's message, then (the draft failed, no agent answered) the ``message`` entry on the same
    channel: RECORD FILE overwrites, so one name for both lost the first recording."""
    desk.fail = "leave_message"
    first = await call(server, "hotline", ["2", "1", "200 result=35 (dtmf) endpos=40000"], ZT_RECDIR="/rec")
    assert media(first)[-1] == 'SET VARIABLE ZT_NEXT "agent"'
    desk.fail = None
    second = await call(server, "hotline", ["200 result=35 (dtmf) endpos=40000"], "message", ZT_RECDIR="/rec")
    names = [recorded(first, "/rec"), recorded(second, "/rec")]
    assert names[0] != names[1]
    assert [m["recording"] for m in desk.messages] == [f"{names[1]}.wav"]


@pytest.mark.parametrize("uniqueid", ["1795435368.7", "pbx1-1795435368.7", "cb-1", "a:b@c+d"])
def test_a_recording_name_fits_the_recordings_area_whatever_the_uniqueid(uniqueid: str) -> None:
    names = {message_name(uniqueid) for _ in range(50)}
    assert len(names) == 50
    assert all(valid_location("recordings", f"{name}.wav") for name in names), names


async def test_hangup_during_recording_still_makes_a_draft(server, desk) -> None:
    commands = await call(server, "hotline", ["3", "1", "200 result=-1 (hangup) endpos=24000"])
    assert desk.messages and desk.messages[0]["menu_choice"] == "complaint"
    assert desk.messages[0]["recording"] == recorded(commands, "/var/spool/asterisk/zhitong") + ".wav"
    # SET VARIABLE got "HANGUP" + its reply (it works on a dead channel); nothing was sent after it.
    assert commands[-1] == 'SET VARIABLE ZT_DRAFT "20261123-0001"'
    assert not any(FALLBACK in c for c in commands)
    assert server[0].hangups == 1 and server[0].failures == 0


async def test_connection_lost_during_recording_still_makes_a_draft(server, desk) -> None:
    commands = await call(server, "hotline", ["1", "1", "eof"])
    assert commands[-1].startswith("RECORD FILE")
    assert [m["menu_choice"] for m in desk.messages] == ["policy"]


async def test_hangup_mid_menu_ends_promptly(server, desk) -> None:
    commands = await call(server, "hotline", ["hangup"])
    assert commands[-1] == "GET DATA zhitong/main-menu 6000 1"
    assert desk.messages == [] and server[0].hangups == 1 and server[0].fallbacks == 0


@pytest.mark.parametrize("fail, inputs", [
    ("order_status", ["4", "202611230007"]),
    ("leave_message", ["1", "1", "200 result=35 (dtmf) endpos=8000"]),
])
async def test_desk_error_transfers_to_agent(server, desk, fail, inputs) -> None:
    desk.fail = fail
    commands = await call(server, "hotline", inputs)
    assert media(commands)[-2:] == ['STREAM FILE zhitong/to-agent ""', 'SET VARIABLE ZT_NEXT "agent"']
    assert steps(commands)[-1] == "agent" and server[0].fallbacks == 0


# ----------------------------------------------------------------------------- survey


async def test_survey_answer(server, desk) -> None:
    commands = await call(server, "survey", ["2"], ZT_ORDER_NUMBER="20261123-0007")
    assert "GET VARIABLE ZT_ORDER_NUMBER" in commands
    assert desk.surveys == [{"order_number": "20261123-0007", "answer": "basically_satisfied", "uniqueid": UID}]
    assert media(commands) == [
        "GET DATA zhitong/survey-question 6000 1",
        'STREAM FILE zhitong/survey-thanks ""',
        'SET VARIABLE ZT_NEXT "hangup"',
    ]


async def test_survey_three_timeouts_record_no_answer(server, desk) -> None:
    commands = await call(server, "survey", ["", "5", ""], ZT_ORDER_NUMBER="20261123-0007")
    assert [s["answer"] for s in desk.surveys] == [None]
    assert media(commands)[-2:] == ['STREAM FILE zhitong/survey-goodbye ""', 'SET VARIABLE ZT_NEXT "hangup"']


async def test_survey_hangup_records_no_answer(server, desk) -> None:
    await call(server, "survey", ["hangup"], ZT_ORDER_NUMBER="20261123-0007")
    assert [s["answer"] for s in desk.surveys] == [None]


async def test_survey_without_order_number(server, desk) -> None:
    commands = await call(server, "survey", [])
    assert commands[-1] == 'SET VARIABLE ZT_NEXT "hangup"' and desk.surveys == []


async def test_survey_desk_error_still_ends_politely(server, desk) -> None:
    desk.fail = "record_survey"
    commands = await call(server, "survey", ["1"], ZT_ORDER_NUMBER="20261123-0007")
    assert media(commands)[-1] == 'SET VARIABLE ZT_NEXT "hangup"' and server[0].fallbacks == 0
