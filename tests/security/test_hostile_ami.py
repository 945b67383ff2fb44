"""Hostile frames from the AMI server side, against the service's real AMI client and call tracking.

Our service is the AMI *client*: a compromised or broken PBX (or whoever answers on its port)
sends the frames. A bad frame is dropped and logged with phone numbers masked, the client keeps
tracking calls or reconnects, other calls' records are still stored, and garbage cannot grow
per-call state without bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from callcenter.ami import connection
from callcenter.ami.client import AmiClient, AmiConfig
from callcenter.ami.codec import AmiDecoder, Message
from callcenter.calls.services import CallService
from callcenter.db.calls import CallRecordRepository
from callcenter.db.engine import create_engine
from callcenter.db.migrate import upgrade
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

def test_the_decoder_drops_a_message_holding_a_nul_and_reads_on() -> None:
    decoder = AmiDecoder(expect_banner=False)
    got = decoder.feed(b"Event: Newchannel\r\nCallerIDNum: 139\x0012\r\n\r\n" + event("Hangup", ("Cause", "16")))
    assert [m.name for m in got] == ["Hangup"] and decoder.dropped_nul == 1


# ----------------------------------------------------------------------------- the session survives


async def test_a_hostile_resync_reply_neither_stops_the_client_nor_tracking(db_url) -> None:
    channel = (event("CoreShowChannel", ("ActionID", "{aid}"), ("Channel", "PJSIP/t-7"), ("Uniqueid", "1795435005.1"),
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
