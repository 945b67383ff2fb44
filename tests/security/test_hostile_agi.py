"""Hostile input against the real FastAGI server (AgiServer + the hotline/survey routes) on 127.0.0.1.

Whoever reaches the FastAGI port can pose as Asterisk. For every bad-input class the connection
gets the dialplan fallback (``agi-fail``: an agent, never dead air) or is closed, a message that
was already recorded still becomes a draft, and the server keeps serving the next real call.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from callcenter.app import Services, build_services
from callcenter.db.migrate import upgrade
from callcenter.hotline.desk import OrderDesk
from callcenter.orders.services import SYSTEM, SearchQuery
from callcenter.settings import Settings
from ivr.agi.codec import AgiProtocolError, ReplyReader, parse_headers
from ivr.agi.server import AgiServer
from ivr.peers import PeerAllowList, parse_networks
from ivr.ports import OrderStatusView
from ivr.routes import build_routes
from tests.ivr_fakes import FakeAsterisk, FakeDesk

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
UID = "1795435368.7"
FALLBACK = ["SET CONTEXT agi-fail", "SET EXTENSION s", "SET PRIORITY 1"]
# The hotline call of tests/ivr_fakes.py, field by field, so each test can bend one of them.
GOOD = [
    ("agi_network", "yes"), ("agi_network_script", "hotline"), ("agi_request", "agi://127.0.0.1:4573/hotline"),
    ("agi_channel", "PJSIP/trunk-00000007"), ("agi_uniqueid", UID), ("agi_callerid", "13800138000"),
    ("agi_calleridname", "张三"),
]
# Menu 2 (report), 1 (leave a message), then RECORD FILE's reply: a complete message.
MESSAGE = ["2", "1", "200 result=35 (dtmf) endpos=40000"]


def block(fields: list[tuple[str, str]] = GOOD, *, raw: bytes = b"") -> bytes:
    return "".join(f"{k}: {v}\n" for k, v in fields).encode() + raw + b"\n"


def bent(**changes: str | None) -> list[tuple[str, str]]:
    """GOOD with some fields replaced (None drops the field)."""
    out = [(k, changes.get(k.removeprefix("agi_"), v)) for k, v in GOOD]
    return [(k, v) for k, v in out if v is not None]


class Peer(FakeAsterisk):
    """FakeAsterisk with a header block of our choosing and optional per-command overrides."""

    def __init__(self, inputs: list[str], head: bytes, *, override: Callable[[str], str | None] | None = None,
                 **variables: str) -> None:
        super().__init__(inputs, variables)
        self.head = head
        self.override = override

    def reply(self, line: str) -> str | None:
        if self.override is not None and (special := self.override(line)) is not None:
            return special
        if line.startswith("SET CONTEXT") or line.startswith("SET EXTENSION") or line.startswith("SET PRIORITY"):
            return "200 result=0\n"
        return super().reply(line)

    async def talk(self, port: int) -> list[str]:
        return await self.call(port, "", head=self.head)


async def settle(server: AgiServer) -> None:
    for _ in range(300):
        if server.live_sessions == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{server.live_sessions} FastAGI sessions still open")


async def still_serves(server: AgiServer, port: int, desk: FakeDesk) -> None:
    """A real caller after the attack: leaves a message, which becomes a draft."""
    before = len(desk.messages)
    commands = await FakeAsterisk(list(MESSAGE)).call(port, "hotline")
    await settle(server)
    assert commands[-1] == 'SET VARIABLE ZT_NEXT "hangup"'
    assert len(desk.messages) == before + 1


@pytest.fixture
async def desk() -> FakeDesk:
    return FakeDesk(orders={"20261123-0007": OrderStatusView("20261123-0007", "办理中", None)})


@pytest.fixture
async def agi(desk: FakeDesk) -> AsyncIterator[tuple[AgiServer, int]]:
    server = AgiServer(build_routes(desk), header_timeout=0.5, command_timeout=2)
    port = (await server.start("127.0.0.1", 0)).sockets[0].getsockname()[1]
    yield server, port
    await server.close()


# ----------------------------------------------------------------------------- header phase


@pytest.mark.parametrize("name, head", [
    ("NUL in a value", block(bent(calleridname="张\x00三"))),
    ("duplicated uniqueid", block(GOOD + [("agi_uniqueid", "1795435368.9")])),
    ("duplicated script", block(GOOD + [("agi_network_script", "survey")])),
    ("no uniqueid", block(bent(uniqueid=None))),
    ("uniqueid with a path", block(bent(uniqueid="../../../var/lib/zhitong/zhitong.sqlite3#"))),
    ("uniqueid with a blank", block(bent(uniqueid="1795435368.7 x"))),
    ("absurd uniqueid", block(bent(uniqueid="9" * 5000))),
])
async def test_an_untrustworthy_header_block_gets_the_fallback_not_the_menu(agi, desk, name, head) -> None:
    server, port = agi
    commands = await Peer(list(MESSAGE), head).talk(port)
    await settle(server)
    # Closing alone would leave AGISTATUS=SUCCESS; the channel must reach an agent instead.
    assert commands == FALLBACK, name
    assert desk.messages == [] and server.invalid_requests == 1 and server.fallbacks == 1
    await still_serves(server, port, desk)


@pytest.mark.parametrize("name, head", [
    ("no terminator, many lines", b"".join(b"agi_x%d: %s\n" % (i, b"y" * 900) for i in range(120))),
    ("one endless line", b"agi_network_script: " + b"h" * 200_000),
    ("not AGI at all", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("binary junk", bytes(range(256)) * 10 + b"\n\n"),
    ("invalid UTF-8 and no script", b"agi_channel: \xff\xfe\xfd\n\n"),
])
async def test_junk_and_oversized_header_blocks_are_closed_with_memory_bounded(agi, desk, name, head) -> None:
    server, port = agi
    assert await closed_by_server(port, [head]) == b"", name  # nothing sent back
    await settle(server)
    assert server.rejected == 1 and server.sessions == 0 and desk.messages == []
    await still_serves(server, port, desk)


async def closed_by_server(port: int, parts: list[bytes], pause: float = 0.0) -> bytes:
    """Send ``parts`` (pausing between them) until the server closes; what it sent us before."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    got = asyncio.create_task(reader.read())
    try:
        for part in parts:
            if got.done():
                break
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(pause)
    except (ConnectionError, OSError):
        pass  # the server closed while we were still sending: a reset, as it should
    try:
        return await asyncio.wait_for(got, 3)
    except (ConnectionError, OSError):
        return b""
    finally:
        writer.close()


async def test_slowloris_headers_are_cut_at_the_header_timeout(agi, desk) -> None:
    server, port = agi
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    # One byte every 50 ms would take 7 s for the block; the deadline is 0.5 s for all of it.
    assert await closed_by_server(port, [bytes([b]) for b in block()], pause=0.05) == b""
    assert loop.time() - t0 < 2
    await settle(server)
    assert server.rejected == 1 and desk.messages == []
    await still_serves(server, port, desk)


async def test_odd_line_ends_and_invalid_utf8_from_a_real_channel_still_work(agi, desk) -> None:
    server, port = agi
    # CRLF instead of LF, a caller name in Latin-1 (Asterisk is byte-transparent), a header of
    # a newer Asterisk we do not know, and a line without a colon.
    head = (b"agi_network_script: hotline\r\nagi_uniqueid: " + UID.encode() + b"\r\nagi_callerid: 13800138000\r\n"
            b"agi_calleridname: M\xfcller\r\nagi_brand_new: 1\r\nnot a header\r\n\r\n")
    commands = await Peer(list(MESSAGE), head).talk(port)
    await settle(server)
    assert commands[-1] == 'SET VARIABLE ZT_NEXT "hangup"' and server.failures == 0
    assert desk.messages[0]["caller_name"] == "M\ufffdller" and desk.messages[0]["caller"] == "13800138000"


# ----------------------------------------------------------------------------- replies


@pytest.mark.parametrize("name, reply", [
    ("NUL in the reply", "200 result=1 (1795435368.6\x00)\n"),
    ("absurd result", "200 result=" + "9" * 5000 + "\n"),
    ("not a reply line", "lol\n"),
    ("unknown multi-line reply", "530-x\n530 y\n"),
    ("unbalanced data", "200 result=1 (oops\n"),
])
async def test_a_garbled_reply_ends_the_script_in_the_fallback(agi, desk, name, reply) -> None:
    server, port = agi

    def garble(line: str) -> str | None:
        return reply if line.startswith("GET FULL VARIABLE") else None

    commands = await Peer(list(MESSAGE), block(), override=garble).talk(port)
    await settle(server)
    assert commands[:2] == ["ANSWER", "GET FULL VARIABLE ${CHANNEL(linkedid)}"], name
    assert commands[2:] == FALLBACK, name
    assert server.failures == 1 and server.fallbacks == 1 and desk.messages == []
    await still_serves(server, port, desk)


def test_the_codec_reports_absurd_numbers_and_nul_as_protocol_errors() -> None:
    # Before: int() of 5000 digits raised a bare ValueError, and a NUL went through to the routes.
    for line in (b"200 result=" + b"1" * 5000 + b"\n", b"200 result=1 (a\x00b)\n"):
        with pytest.raises(AgiProtocolError):
            ReplyReader().feed(line)
    good = ReplyReader().feed(b"200 result=1 (x)\n200 result=" + b"7" * 30 + b"\n")
    assert good[1].result == int("7" * 30)  # long but possible: GET DATA with many digits
    assert parse_headers(block()).problems == ()


async def test_more_digits_than_asked_for_is_refused_not_looked_up(agi, desk) -> None:
    server, port = agi
    # Menu 4 (order status) asks GET DATA for 13 digits; a forged reply sends 60,000.
    commands = await Peer(["4", "2" * 60_000], block()).talk(port)
    await settle(server)
    assert commands[-3:] == FALLBACK and desk.lookups == []
    assert server.failures == 1
    await still_serves(server, port, desk)


@pytest.mark.parametrize("name, reply", [
    ("garbled", "200 result=0 endpos=12 (\n"),
    ("absurd endpos", "200 result=0 endpos=" + "9" * 400),
    ("NUL", "200 result=0\x00 endpos=40000"),
])
async def test_a_message_already_recorded_becomes_a_draft_whatever_the_reply(agi, desk, name, reply) -> None:
    server, port = agi
    commands = await Peer(["2", "1", reply], block(), ZT_RECDIR="/srv/zt/rec").talk(port)
    await settle(server)
    [record] = [c for c in commands if c.startswith("RECORD FILE")]
    path = re.fullmatch(r"RECORD FILE (/srv/zt/rec/msg-1795435368\.7-[0-9a-f]{8}) wav # 120000 s=5", record)
    assert path, (name, record)
    # Asterisk has the recording on disk: it is a draft, and the caller then reaches an agent.
    assert [m["recording"] for m in desk.messages] == [f"{path.group(1)}.wav"], name
    assert commands[-3:] == FALLBACK and server.fallbacks == 1
    await still_serves(server, port, desk)


async def test_a_truncated_reply_then_disconnect_during_recording_keeps_the_message(agi, desk) -> None:
    server, port = agi

    def cut(line: str) -> str | None:
        return "200 result=0 endp" if line.startswith("RECORD FILE") else None

    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(block())
    peer = Peer(list(MESSAGE), b"", override=cut)
    while raw := await asyncio.wait_for(reader.readline(), 5):
        line = raw.decode().rstrip("\n")
        writer.write(peer.reply(line).encode())  # type: ignore[union-attr]
        await writer.drain()
        if line.startswith("RECORD FILE"):
            writer.transport.abort()  # the PBX (or the network) dies mid-reply
            break
    await settle(server)
    assert [m["menu_choice"] for m in desk.messages] == ["report"]
    assert server.hangups == 1 and server.fallbacks == 0
    await still_serves(server, port, desk)


async def test_an_impossible_linkedid_is_not_passed_to_the_back_office(agi, desk) -> None:
    server, port = agi

    def forged(line: str) -> str | None:
        return "200 result=1 (../../x y)\n" if line.startswith("GET FULL VARIABLE") else None

    await Peer(list(MESSAGE), block(), override=forged).talk(port)
    await settle(server)
    assert [m["linkedid"] for m in desk.messages] == [UID]  # the channel's own, validated uniqueid


# ----------------------------------------------------------------------------- who may connect


async def test_connections_over_the_limit_are_closed_at_accept_and_service_resumes(desk) -> None:
    server = AgiServer(build_routes(desk), header_timeout=5, max_connections=5)
    port = (await server.start("127.0.0.1", 0)).sockets[0].getsockname()[1]
    try:
        idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(5)]  # silent peers
        for _ in range(50):
            if server.live_sessions == 5:
                break
            await asyncio.sleep(0.01)
        flood = [await asyncio.open_connection("127.0.0.1", port) for _ in range(30)]
        for reader, _ in flood:
            assert await asyncio.wait_for(reader.read(), 2) == b""  # closed at once, no 5 s wait
        assert server.refused == 30 and server.live_sessions == 5
        for _, writer in idle + flood:
            writer.close()
        await settle(server)
        await still_serves(server, port, desk)
    finally:
        await server.close()


async def test_a_peer_outside_the_allow_list_is_refused_before_anything_is_read(desk, caplog) -> None:
    server = AgiServer(build_routes(desk), allow_peer=PeerAllowList(parse_networks("10.1.2.3, 192.168.0.0/16")))
    port = (await server.start("127.0.0.1", 0)).sockets[0].getsockname()[1]
    try:
        with caplog.at_level(logging.WARNING, logger="ivr.agi.server"):
            for _ in range(20):
                assert await closed_by_server(port, [block()]) == b""
        assert server.refused == 20 and server.sessions == 0 and desk.messages == []
        refusals = [r for r in caplog.records if "refused" in r.getMessage()]
        assert len(refusals) == 1 and "127.0.0.1" in refusals[0].getMessage()  # logged once, not 20 times
    finally:
        await server.close()
    server = AgiServer(build_routes(desk), allow_peer=PeerAllowList(parse_networks("127.0.0.0/8")))
    port = (await server.start("127.0.0.1", 0)).sockets[0].getsockname()[1]
    try:
        await still_serves(server, port, desk)
        assert server.refused == 0
    finally:
        await server.close()


# ----------------------------------------------------------------------------- real back office


@pytest.fixture
async def services(db_url: str) -> AsyncIterator[Services]:
    await upgrade(db_url)
    services = build_services(Settings(database_url=db_url), clock=lambda: NOW)
    yield services
    await services.calls.close()
    await services.engine.dispose()


@pytest.mark.parametrize("callerid, name, phone", [
    ("unknown", "unknown", None),  # what Asterisk sends with no caller ID at all
    ("anonymous", "Anonymous", None),  # a withheld number
    ("alice", "\x1b[31m" + "名" * 300, None),  # a SIP user that is not a number; an absurd display name
    ("+86 138-0013-8000", "张三", "13800138000"),  # a mainland mobile is stored in its 11 digits
])
async def test_every_voice_message_becomes_a_draft_on_the_database(services, callerid, name, phone) -> None:
    desk = OrderDesk(services.orders, services.calls, services.clock, services.speech, None)
    server = AgiServer(build_routes(desk))
    port = (await server.start("127.0.0.1", 0)).sockets[0].getsockname()[1]
    try:
        commands = await Peer(list(MESSAGE), block(bent(callerid=callerid, calleridname=name))).talk(port)
        await settle(server)
    finally:
        await server.close()
    orders, total = await services.orders.search(SearchQuery(channel="phone"), SYSTEM)
    assert total == 1, commands
    assert orders[0].enterprise.phone == phone and len(orders[0].enterprise.name) <= 200
    assert "\x1b" not in orders[0].enterprise.name
    assert orders[0].enterprise.name.startswith("来电 ")  # the display name is not the enterprise's
    assert f'SET VARIABLE ZT_DRAFT "{orders[0].number}"' in commands
