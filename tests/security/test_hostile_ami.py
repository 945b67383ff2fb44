"""Hostile frames from the AMI server side, against the service's real AMI client and call tracking.

Our service is the AMI *client*: a compromised or broken PBX (or whoever answers on its port)
sends the frames. A bad frame is dropped and logged with phone numbers masked, the client keeps
tracking calls or reconnects, other calls' records are still stored, and garbage cannot grow
per-call state without bound.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import DBAPIError

from callcenter.ami import connection
from callcenter.ami.client import AmiClient, AmiConfig
from callcenter.ami.codec import AmiDecoder, Message
from callcenter.calls import tracker as tracker_module
from callcenter.calls.services import CallService
from callcenter.calls.tracker import CallTracker
from callcenter.db.calls import CallRecordRepository
from callcenter.db.engine import create_engine
from callcenter.db.migrate import upgrade
from ivr.agi.codec import is_channel_id
from tests.ami_fake import FakeAmi, frame

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PHONE = "13912345678"


def event(name: str, *pairs: tuple[str, str]) -> bytes:
    return frame(("Event", name), *pairs)


def call_events(uid: str, caller: str = "13800138000", **extra: str) -> bytes:
    """A whole, ordinary call: the channel appears, the caller presses 1, it hangs up."""
    ids = (("Uniqueid", uid), ("Linkedid", uid))
    return (event("Newchannel", ("Channel", f"PJSIP/trunk-{uid}"), *ids, ("CallerIDNum", caller),
                  ("Exten", "12345"), *extra.items())
            + event("DTMFEnd", *ids, ("Direction", "Received"), ("Digit", "1"))
            + event("Hangup", *ids, ("Cause", "16")))


def resync_replies(items: Callable[[], bytes] = lambda: b"") -> Callable[[FakeAmi, Any, Message], bytes | None]:
    def script(fake: FakeAmi, writer: Any, msg: Message) -> bytes | None:
        aid = ("ActionID", msg.get("ActionID") or "")
        if msg.get("Action") == "CoreStatus":
            return frame(("Response", "Success"), aid, ("CoreStartupDate", "2026-11-23"),
                         ("CoreStartupTime", "08:00:00"))
        if msg.get("Action") == "CoreShowChannels":
            return (frame(("Response", "Success"), aid, ("EventList", "start"), ("Message", "Channels will follow"))
                    + items().replace(b"{aid}", aid[1].encode())
                    + frame(("Event", "CoreShowChannelsComplete"), aid, ("EventList", "Complete")))
        return None
    return script


@dataclass
class Stack:
    server: FakeAmi
    client: AmiClient
    calls: CallService
    repo: CallRecordRepository

    async def send(self, data: bytes) -> None:
        writer = self.server.writers[-1]
        writer.write(data)
        await writer.drain()

    async def stored(self, linkedid: str, timeout: float = 5.0) -> dict[str, Any] | None:
        for _ in range(int(timeout * 50)):
            await self.client.dispatcher.drained()
            await self.calls.flush()
            if (record := await self.repo.get(linkedid)) is not None and record["ended_at"]:
                return record
            await asyncio.sleep(0.02)
        return await self.repo.get(linkedid)

    async def still_tracks(self, uid: str) -> None:
        await self.send(call_events(uid))
        record = await self.stored(uid)
        assert record is not None and record["ended_at"] and record["dtmf"] == "1", record


@pytest.fixture
async def stack(db_url: str) -> AsyncIterator[Stack]:
    async with _stack(db_url) as s:
        yield s


class _stack:
    def __init__(self, db_url: str, *, items: Callable[[], bytes] = lambda: b"", tz: Any = UTC) -> None:
        self.db_url, self.items, self.tz = db_url, items, tz

    async def __aenter__(self) -> Stack:
        await upgrade(self.db_url)
        self.engine = create_engine(self.db_url)
        repo = CallRecordRepository(self.engine)
        calls = CallService(repo, lambda: NOW, tz=self.tz)
        self.server = FakeAmi(on_action=resync_replies(self.items))
        port = await self.server.start()
        config = AmiConfig(host="127.0.0.1", port=port, secret="s3cret", backoff_initial=0.01, backoff_max=0.05,
                           action_timeout=2)
        self.client = AmiClient(config, calls.on_event, on_session=calls.on_session,
                                on_disconnect=calls.on_disconnect)
        self.task = asyncio.create_task(self.client.run())
        await asyncio.wait_for(self.client.connected.wait(), 5)
        for _ in range(250):
            if calls.resyncs or self.task.done():
                break
            await asyncio.sleep(0.02)
        self.stack = Stack(self.server, self.client, calls, repo)
        return self.stack

    async def __aexit__(self, *exc: object) -> None:
        await self.client.stop()
        await asyncio.gather(self.task, return_exceptions=True)
        await self.server.close()
        await self.stack.calls.close()
        await self.engine.dispose()


# ----------------------------------------------------------------------------- bad values


@pytest.mark.parametrize("name, frames", [
    ("NUL in the caller number", call_events("1795435001.1", caller=PHONE + "\x00")),
    ("NUL in a name", call_events("1795435001.1", caller=PHONE, CallerIDName="张\x00三")),
    ("Linkedid longer than any channel's", call_events("1795435001." + "9" * 80, caller=PHONE)),
    ("Uniqueid with a blank and a slash", call_events("1795435001.1 /x", caller=PHONE)),
    ("caller number of 200 digits", call_events("1795435001.1", caller="1" * 200)),
    ("disposition no Cdr has", call_events("1795435001.1", caller=PHONE) + event(
        "Cdr", ("UniqueID", "1795435001.1"), ("Disposition", "X" * 40), ("Source", PHONE))),
])
async def test_a_bad_event_is_dropped_and_logged_masked_and_other_calls_are_stored(stack, caplog, name, frames) -> None:
    with caplog.at_level(logging.INFO):
        await stack.send(frames)
        await stack.still_tracks("1795435002.1")  # a good call after it: stored, PostgreSQL included
        bad = await stack.repo.get("1795435001.1")
    # Either dropped, or stored within what the columns hold (never a row the database refuses).
    assert bad is None or (len(bad["caller"] or "") <= 64 and len(bad["disposition"] or "") <= 16), name
    rows = await stack.repo.list(limit=100)
    assert all(is_channel_id(r["linkedid"]) for r in rows) and "\\u0000" not in json.dumps(rows), name
    assert not [r for r in caplog.records if PHONE in r.getMessage()], "a full phone number was logged"
    assert not [r for r in caplog.records if "1" * 200 in r.getMessage()]
    assert stack.client.sessions == 1  # no reconnect was needed


async def test_absurd_numbers_and_dates_are_not_stored_as_such(db_url) -> None:
    async with _stack(db_url, tz=ZoneInfo("Asia/Shanghai")) as stack:
        ids = (("Uniqueid", "1795435003.1"), ("Linkedid", "1795435003.1"))
        await stack.send(event("Newchannel", ("Channel", "PJSIP/t-1"), *ids, ("CallerIDNum", "100"))
                         + event("Cdr", ("UniqueID", "1795435003.1"), ("StartTime", "0001-01-01 00:00:00"),
                                 ("EndTime", "9999-12-31 23:59:59"), ("Duration", "9" * 4000),
                                 ("BillableSeconds", "-5"), ("Disposition", "ANSWERED"))
                         + event("Hangup", *ids, ("Cause", "9" * 300), ("EventTV", "2026-11-23T12:00:00")))
        record = await stack.stored("1795435003.1")
        assert record is not None and record["ended_at"]
        assert record["duration_s"] is None or 0 <= record["duration_s"] < 10**9
        assert record["hangup_cause"] is None or 0 <= record["hangup_cause"] < 1000
        assert record["started_at"] is None or record["started_at"] >= "1970"
        await stack.still_tracks("1795435004.1")


def test_the_decoder_drops_a_message_holding_a_nul_and_reads_on() -> None:
    decoder = AmiDecoder(expect_banner=False)
    got = decoder.feed(b"Event: Newchannel\r\nCallerIDNum: 139\x0012\r\n\r\n" + event("Hangup", ("Cause", "16")))
    assert [m.name for m in got] == ["Hangup"] and decoder.dropped_nul == 1


# ----------------------------------------------------------------------------- the session survives


async def test_a_hostile_resync_reply_neither_stops_the_client_nor_tracking(db_url) -> None:
    channel = (event("CoreShowChannel", ("ActionID", "{aid}"), ("Channel", "PJSIP/t-9"),
                     ("Uniqueid", "1795435005." + "3" * 100), ("Duration", "00:00:01"))
               + event("CoreShowChannel", ("ActionID", "{aid}"), ("Channel", "PJSIP/t-7"), ("Uniqueid", "1795435005.1"),
                       ("Linkedid", "1795435005.1"), ("Duration", "99999999999:00:00"))
               + event("CoreShowChannel", ("ActionID", "{aid}"), ("Channel", "PJSIP/t-8"),
                       ("Uniqueid", "1795435005.2" + "\x00"), ("Duration", "00:00:01")))
    async with _stack(db_url, items=lambda: channel) as stack:
        await stack.still_tracks("1795435006.1")
        stack.server.drop_all()  # and the client still reconnects afterwards
        for _ in range(250):
            if stack.client.sessions >= 2 and stack.client.connected.is_set():
                break
            await asyncio.sleep(0.02)
        assert stack.client.sessions >= 2
        await stack.still_tracks("1795435007.1")
        assert all(is_channel_id(lid) for lid in stack.calls.tracker.calls)  # the forged item was not taken


async def test_junk_frames_odd_line_ends_and_invalid_utf8_leave_tracking_intact(stack) -> None:
    await stack.send(b"no colon here\r\n\r\n" + b"Event: \xff\xfe\r\nUniqueid: \xc3\r\n\r\n" + b"\r\n\r\n\r\n"
                     + b"Event: Shutdown\nUniqueid: 1\n\n" + b"Response: Success\r\nActionID: nobody\r\n\r\n"
                     + event("TotallyNewEvent", ("X", "y")) + b"Event: Newchannel\r\r\n\r\n" + b": \r\n\r\n"
                     + event("Newchannel", ("Channel", "PJSIP/a"), ("Uniqueid", ""), ("Linkedid", "")))
    await stack.still_tracks("1795435008.1")
    assert stack.client.sessions == 1


@pytest.mark.parametrize("name, junk", [
    ("a frame with no end", b"Event: Newchannel\r\nX: " + b"y" * (2 * 1024 * 1024)),
    ("a frame cut by the connection dropping", b"Event: Newchannel\r\nUniqueid: 17954"),
])
async def test_a_broken_stream_is_dropped_and_the_client_reconnects(stack, name, junk) -> None:
    await stack.send(call_events("1795435009.1"))  # accepted before the break: must be kept
    await stack.send(junk)
    if name.endswith("dropping"):
        stack.server.drop_all()
    for _ in range(250):
        if stack.client.sessions >= 2 and stack.client.connected.is_set():
            break
        await asyncio.sleep(0.02)
    assert stack.client.sessions >= 2, name
    record = await stack.stored("1795435009.1")
    assert record is not None and record["ended_at"]
    await stack.still_tracks("1795435010.1")


async def test_an_endless_list_reply_is_cut_short_and_the_session_goes_on(stack, monkeypatch) -> None:
    monkeypatch.setattr(connection, "MAX_LIST_EVENTS", 500)

    def endless(fake: FakeAmi, writer: Any, msg: Message) -> bytes | None:
        aid = ("ActionID", msg.get("ActionID") or "")
        return (frame(("Response", "Success"), aid, ("EventList", "start"), ("Message", "will follow"))
                + b"".join(event("QueueMember", aid, ("Name", f"m{i}")) for i in range(3000)))

    stack.server.on_action = endless
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    with pytest.raises(connection.AmiListTooLong):
        await stack.client.action("QueueStatus", timeout=30)
    assert loop.time() - t0 < 5  # refused when the list passed the limit, not at the timeout
    await stack.still_tracks("1795435011.1")
    assert stack.client.sessions == 1


# ----------------------------------------------------------------------------- bounded state


def test_garbage_events_cannot_grow_call_state_without_bound(monkeypatch) -> None:
    monkeypatch.setattr(tracker_module, "MAX_PARKED", 2_000)
    tracker = CallTracker(tz=UTC, max_calls=1_000)
    at = NOW
    ids = (("Uniqueid", "1795435012.1"), ("Linkedid", "1795435012.1"))
    feed: Callable[..., Any] = lambda name, *pairs: tracker.feed(Message.of((("Event", name), *pairs)), at)  # noqa: E731
    feed("Newchannel", ("Channel", "PJSIP/t-1"), *ids)
    for i in range(5_000):
        feed("DTMFEnd", *ids, ("Direction", "Received"), ("Digit", "1"))
        feed("UserEvent", *ids, ("UserEvent", "ZhitongIvr"), ("Step", f"s{i % 2}"))
        feed("UserEvent", *ids, ("UserEvent", "HotlineMessage"), ("File", f"/rec/m-{i}.wav"))
        feed("Cdr", ("UniqueID", "1795435012.1"), ("Disposition", "ANSWERED"))
        feed("Newchannel", ("Channel", f"Local/x-{i};1"), ("Uniqueid", f"1795435013.{i}"), ("Linkedid", "1795435012.1"))
    feed("VarSet", *ids, ("Variable", "MIXMONITOR_FILENAME"), ("Value", "/rec/" + "v" * 100_000))
    call = tracker.calls["1795435012.1"]
    assert len(call.dtmf) <= 1_000 and len(call.ivr_path) <= 1_000 and len(call.recordings) <= 100
    assert len(call.channels) <= 1_000 and all(len(ch.cdrs) <= 100 for ch in call.channels.values())
    assert all(len(r) <= 4096 for r in call.recordings)
    # Events for channels that never appear wait in a bounded table, whatever their number.
    for i in range(20_000):
        feed("Hangup", ("Uniqueid", f"1795436000.{i}"), ("Cause", "16"))
    assert sum(len(v) for v in tracker._pending.values()) <= 2_000
    # Calls that never end (a Newchannel flood) are bounded too once the flusher evicts.
    for i in range(5_000):
        feed("Newchannel", ("Channel", f"PJSIP/f-{i}"), ("Uniqueid", f"1795437000.{i}"), ("Linkedid", f"1795437000.{i}"))
    tracker.evict(at + timedelta(seconds=1))
    assert len(tracker.calls) <= 1_000 and len(tracker._channel_call) <= 1_000 * 2 + 1_000


# ----------------------------------------------------------------------------- one bad record, not all


class RefusingRepo(CallRecordRepository):
    """Refuses any batch holding the call "1795435020.1", as PostgreSQL refuses a value it cannot
    store; the driver's message names the parameters, the caller's number among them."""

    async def upsert(self, records: Any, now: datetime) -> None:
        if any(r["linkedid"] == "1795435020.1" for r in records):
            params = [(r["linkedid"], r.get("caller")) for r in records]
            raise DBAPIError("INSERT INTO call_records ...", params, ValueError("value too long"))
        await super().upsert(records, now)


async def test_a_record_the_database_refuses_holds_back_no_other_call(db_url, caplog) -> None:
    await upgrade(db_url)
    engine = create_engine(db_url)
    try:
        repo = RefusingRepo(engine)
        calls = CallService(repo, lambda: NOW, tz=UTC)
        real_record = calls.tracker.record
        calls.tracker.record = lambda lid: (1 / 0) if lid == "1795435021.1" else real_record(lid)  # type: ignore[method-assign]
        with caplog.at_level(logging.INFO):
            for uid in ("1795435020.1", "1795435021.1", "1795435022.1", "1795435023.1"):
                for msg in AmiDecoder(expect_banner=False).feed(call_events(uid, caller=PHONE)):
                    await calls.on_event(msg)
            for _ in range(3):
                await calls.flush()
        stored = {r["linkedid"] for r in await repo.list(limit=10)}
        assert stored == {"1795435022.1", "1795435023.1"}
        assert not [r for r in caplog.records if PHONE in r.getMessage() or PHONE in (r.exc_text or "")]
        assert any("refused by the database" in r.getMessage() for r in caplog.records)
    finally:
        await engine.dispose()


async def test_a_server_that_trickles_or_never_answers_is_given_up_on_and_retried() -> None:
    attempts: list[str] = []

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        attempts.append("banner" if len(attempts) % 2 else "login")
        try:
            if attempts[-1] == "banner":  # a banner a byte at a time, never ending its line
                for byte in b"Asterisk Call Manager/11.0.0" * 100:
                    writer.write(bytes([byte]))
                    await writer.drain()
                    await asyncio.sleep(0.02)
            else:  # a banner, then silence: the login is never answered
                writer.write(b"Asterisk Call Manager/11.0.0\r\n")
                while await reader.read(4096):  # until the client gives up and closes
                    pass
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(slow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    seen: list[Message] = []
    client = AmiClient(AmiConfig(host="127.0.0.1", port=port, secret="s3cret", connect_timeout=0.3,
                                 action_timeout=0.3, backoff_initial=0.01, backoff_max=0.02), seen.append)
    task = asyncio.create_task(client.run())
    try:
        for _ in range(300):
            if len(attempts) >= 4:
                break
            await asyncio.sleep(0.01)
        assert len(attempts) >= 4 and not client.connected.is_set() and not task.done()
        assert client.sessions == 0 and seen == []
    finally:
        await client.stop()
        await asyncio.gather(task, return_exceptions=True)
        server.close()
        await server.wait_closed()
