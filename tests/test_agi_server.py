"""AgiServer/AgiSession over real sockets on 127.0.0.1, against a fake Asterisk that replays captures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest

from ivr.agi.server import AgiServer, Route
from ivr.agi.session import AgiCommandTimeout, AgiSession, CallerHungUp

FALLBACK = [b"SET CONTEXT agi-fail\n", b"SET EXTENSION s\n", b"SET PRIORITY 1\n"]
HEADERS = (
    b"agi_network: yes\n"
    b"agi_network_script: {script}\n"
    b"agi_request: agi://127.0.0.1:4573/{script}\n"
    b"agi_channel: Local/ivr@caller-sim-00000000;1\n"
    b"agi_uniqueid: 1795435368.7\n"
    b"\n"
)


def header_block(script: str) -> bytes:
    return HEADERS.replace(b"{script}", script.encode())


@pytest.fixture
def capture(shared_dir: Path) -> tuple[bytes, list[bytes], bytes]:
    """(header block, reply lines, tx bytes) of the agi-ivr-in-call capture."""
    base = shared_dir / "fixtures" / "asterisk" / "agi"
    rx = (base / "agi-ivr-in-call.rx.bin").read_bytes()
    tx = (base / "agi-ivr-in-call.tx.bin").read_bytes()
    end = rx.index(b"\n\n") + 2
    return rx[:end], rx[end:].splitlines(keepends=True), tx


async def started(routes: Mapping[str, Route], **kwargs: float) -> tuple[AgiServer, int]:
    server = AgiServer(routes, **kwargs)
    srv = await server.start("127.0.0.1", 0)
    return server, srv.sockets[0].getsockname()[1]


@pytest.fixture
async def cleanup() -> AsyncIterator[list[AgiServer]]:
    servers: list[AgiServer] = []
    yield servers
    for server in servers:
        await server.close()


async def fake_asterisk(port: int, headers: bytes, replies: list[bytes]) -> list[bytes]:
    """Send the header block, answer each command line with the next reply; return the commands.

    Returns when the server closes the connection (EOF); fails if it never does.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(headers)
    await writer.drain()
    got: list[bytes] = []
    pending = list(replies)
    try:
        while line := await asyncio.wait_for(reader.readline(), 5):
            got.append(line)
            if pending:
                writer.write(pending.pop(0))
                await writer.drain()
    finally:
        writer.close()
    return got


async def wait_idle(server: AgiServer) -> None:
    for _ in range(200):
        if server.live_sessions == 0:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{server.live_sessions} sessions still live")


# ----------------------------------------------------------------------------- capture replay


async def test_replays_ivr_capture_byte_for_byte(capture, cleanup) -> None:
    headers, replies, tx = capture
    seen: dict[str, object] = {}

    async def ivr(session: AgiSession) -> None:
        seen["args"] = session.request.args
        await session.answer()
        seen["callerid"] = await session.get_full_variable("${CALLERID(num)}")
        seen["endpos"] = (await session.stream_file("hello-world")).extra.get("endpos")
        seen["digits"] = digits = await session.get_data("beep", 8000, 4)
        await session.set_variable("IVR_CHOICE", digits or "")
        await session.verbose("hotline ivr finished", 1)

    server, port = await started({"ivr": ivr})
    cleanup.append(server)
    got = await fake_asterisk(port, headers, replies)  # returns only on EOF: the server closed

    assert b"".join(got) == tx
    assert seen == {
        "args": ["first-arg", "second arg"],
        "callerid": "+15551230001",
        "endpos": "11234",
        "digits": "42",
    }
    await wait_idle(server)
    assert (server.sessions, server.failures, server.fallbacks, server.hangups) == (1, 0, 0, 0)


# ----------------------------------------------------------------------------- header phase


async def test_health_check_connect_close_loop_does_not_spin(capture, cleanup) -> None:
    headers, replies, tx = capture
    ran = asyncio.Event()

    async def ivr(session: AgiSession) -> None:
        await session.answer()
        ran.set()

    server, port = await started({"ivr": ivr})
    cleanup.append(server)
    for i in range(200):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        if i % 3 == 1:
            writer.write(b"agi_network: yes\n")  # closes while sending headers
        elif i % 3 == 2:
            writer.write(b"GET /health HTTP/1.0\r\n\r\n")  # junk: no script in the block
        writer.close()
        await writer.wait_closed()
    await wait_idle(server)
    # No connection task may survive (panoramisk's spins on EOF forever).
    leftovers = [t for t in asyncio.all_tasks() if "_handle" in repr(t.get_coro())]
    assert leftovers == []
    assert server.connections == 200 and server.rejected == 200 and server.sessions == 0

    # Still responsive: a real call goes through afterwards.
    got = await fake_asterisk(port, headers, replies[:1])
    assert got == [b"ANSWER\n"] and ran.is_set()


async def test_silent_peer_is_closed_after_header_timeout(cleanup) -> None:
    server, port = await started({}, header_timeout=0.2)
    cleanup.append(server)
    for first in (b"", b"agi_network: yes\n"):  # nothing at all, and a block never finished
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(first)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        assert await asyncio.wait_for(reader.read(), 3) == b""
        assert 0.15 <= loop.time() - t0 < 2
        writer.close()
    await wait_idle(server)
    assert server.rejected == 2


# ----------------------------------------------------------------------------- fallback


async def test_unknown_script_gets_fallback(cleanup) -> None:
    server, port = await started({"ivr": lambda s: s.answer()})
    cleanup.append(server)
    got = await fake_asterisk(port, header_block("nosuch"), [b"200 result=0\n"] * 3)
    assert got == FALLBACK
    await wait_idle(server)
    assert (server.unknown_scripts, server.fallbacks) == (1, 1)


async def test_handler_exception_logs_once_and_falls_back(cleanup, caplog) -> None:
    async def broken(session: AgiSession) -> None:
        await session.answer()
        raise RuntimeError("database down")

    server, port = await started({"ivr": broken})
    cleanup.append(server)
    with caplog.at_level(logging.INFO, logger="ivr.agi"):
        got = await fake_asterisk(port, header_block("ivr"), [b"200 result=0\n"] * 4)
        await wait_idle(server)
    assert got == [b"ANSWER\n", *FALLBACK]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "1795435368.7" in errors[0].getMessage()
    assert (server.failures, server.fallbacks) == (1, 1)


async def test_sync_route_is_a_failure_with_fallback(cleanup) -> None:
    def not_async(session: AgiSession) -> None:
        return None

    server, port = await started({"ivr": not_async})  # type: ignore[dict-item]
    cleanup.append(server)
    got = await fake_asterisk(port, header_block("ivr"), [b"200 result=0\n"] * 3)
    assert got == FALLBACK
    assert server.failures == 1


async def test_command_timeout_falls_back_and_skips_the_late_reply(cleanup) -> None:
    async def slow(session: AgiSession) -> None:
        await session.stream_file("demo-congrats")

    server, port = await started({"ivr": slow}, command_timeout=0.2)
    cleanup.append(server)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(header_block("ivr"))
    assert await reader.readline() == b'STREAM FILE demo-congrats ""\n'
    # No reply in time; the fallback starts, then the late reply and the fallback replies arrive.
    assert await asyncio.wait_for(reader.readline(), 3) == FALLBACK[0]
    writer.write(b"200 result=0 endpos=1000\n200 result=0\n")
    assert await asyncio.wait_for(reader.readline(), 3) == FALLBACK[1]
    writer.write(b"200 result=0\n")
    assert await asyncio.wait_for(reader.readline(), 3) == FALLBACK[2]
    writer.write(b"200 result=0\n")
    assert await asyncio.wait_for(reader.read(), 3) == b""
    writer.close()
    assert (server.failures, server.fallbacks) == (1, 1)


# ----------------------------------------------------------------------------- hangups


async def test_hangup_then_511_stops_route_without_fallback(cleanup) -> None:
    outcome: list[object] = []

    async def ivr(session: AgiSession) -> None:
        await session.answer()
        try:
            await session.stream_file("hello-world")
        except CallerHungUp as exc:
            outcome.append(exc)
            raise
        outcome.append("continued")

    server, port = await started({"ivr": ivr})
    cleanup.append(server)
    replies = [b"200 result=0\n", b"HANGUP\n511 Command Not Permitted on a dead channel or intercept routine\n"]
    got = await fake_asterisk(port, header_block("ivr"), replies)
    assert got == [b"ANSWER\n", b'STREAM FILE hello-world ""\n']  # no fallback after a hangup
    assert len(outcome) == 1 and isinstance(outcome[0], CallerHungUp)
    assert CallerHungUp.error_id == "agi-caller-hung-up"
    await wait_idle(server)
    assert (server.hangups, server.failures, server.fallbacks) == (1, 0, 0)


async def test_hangup_line_then_reply_returns_it_and_blocks_later_commands(cleanup) -> None:
    outcome: list[object] = []

    async def ivr(session: AgiSession) -> None:
        outcome.append(await session.get_variable("IVR_CHOICE"))
        outcome.append(session.hung_up)
        await session.answer()  # must raise at once, without writing
        outcome.append("continued")

    server, port = await started({"ivr": ivr})
    cleanup.append(server)
    got = await fake_asterisk(port, header_block("ivr"), [b"HANGUP\n200 result=1 (42)\n"])
    assert got == [b"GET VARIABLE IVR_CHOICE\n"]
    assert outcome == ["42", True]
    assert server.hangups == 1


async def test_eof_mid_command_is_a_hangup(cleanup) -> None:
    outcome: list[object] = []
    done = asyncio.Event()

    async def ivr(session: AgiSession) -> None:
        try:
            await session.answer()
        except CallerHungUp as exc:
            outcome.append(exc)
            raise
        finally:
            done.set()

    server, port = await started({"ivr": ivr})
    cleanup.append(server)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(header_block("ivr"))
    assert await reader.readline() == b"ANSWER\n"
    writer.close()
    await asyncio.wait_for(done.wait(), 3)
    await wait_idle(server)
    assert len(outcome) == 1 and isinstance(outcome[0], CallerHungUp)
    assert (server.hangups, server.fallbacks) == (1, 0)


async def test_close_cancels_live_sessions_and_closes_sockets() -> None:
    started_route = asyncio.Event()

    async def ivr(session: AgiSession) -> None:
        started_route.set()
        await session.answer()  # never answered

    server, port = await started({"ivr": ivr})
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(header_block("ivr"))
    await asyncio.wait_for(started_route.wait(), 3)
    assert server.live_sessions == 1
    await asyncio.wait_for(server.close(), 3)
    assert server.live_sessions == 0
    assert await asyncio.wait_for(reader.read(), 3) == b"ANSWER\n"  # then EOF
    writer.close()


async def test_session_get_data_digits_and_failure() -> None:
    # Session alone over a socket pair: GET DATA keeps "*"/leading zeros, -1 means failure.
    reader_srv: list[asyncio.StreamReader] = []
    writers: list[asyncio.StreamWriter] = []
    ready = asyncio.Event()

    async def accept(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        reader_srv.append(r)
        writers.append(w)
        ready.set()

    srv = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    ast_reader, ast_writer = await asyncio.open_connection("127.0.0.1", port)
    await ready.wait()
    from ivr.agi.codec import parse_headers

    session = AgiSession(reader_srv[0], writers[0], parse_headers(header_block("ivr")), command_timeout=0.5)
    ast_writer.write(b"200 result=007\n200 result=-1\n")
    assert await session.get_data("beep", 1000, 3) == "007"
    assert await session.get_data("beep", 1000, 3) is None
    with pytest.raises(AgiCommandTimeout):
        await session.answer()
    ast_writer.write(b"200 result=0\n200 result=1 (x)\n")  # late ANSWER reply, then ours
    assert await session.get_variable("V") == "x"
    writers[0].close()
    ast_writer.close()
    srv.close()
    await srv.wait_closed()
