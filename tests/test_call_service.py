"""CallService: AMI events -> stored call records, on both databases, with failures and resyncs."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.ami.client import AmiClient, AmiConfig
from callcenter.ami.codec import AmiDecoder, Message
from callcenter.calls.services import CallService
from callcenter.db.calls import CallRecordRepository
from tests.ami_fake import FakeAmi, frame

EXPECTED = Path(__file__).parent / "data" / "call_records"
NOW = datetime(2026, 11, 23, 12, 10, tzinfo=UTC)



def capture(shared_dir: Path, name: str) -> list[Message]:
    return AmiDecoder().feed((shared_dir / "fixtures" / "asterisk" / "ami" / f"{name}.rx.bin").read_bytes())


def expected(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (EXPECTED / f"{name}.jsonl").read_text().splitlines()]


class FlakyRepo(CallRecordRepository):
    """Fails the first ``failures`` writes, as a database restart would."""

    def __init__(self, engine: AsyncEngine, failures: int) -> None:
        super().__init__(engine)
        self.failures = failures

    async def upsert(self, records: Any, now: datetime) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("database went away")
        await super().upsert(records, now)


async def feed_all(service: CallService, messages: list[Message]) -> None:
    for msg in messages:
        await service.on_event(msg)


async def test_captured_calls_are_stored_once_each_with_their_record(engine: AsyncEngine, shared_dir: Path) -> None:
    repo = CallRecordRepository(engine)
    service = CallService(repo, lambda: NOW, tz=UTC)
    for name in ("originate-busy", "queue-answered", "inbound-ivr-call"):
        await feed_all(service, capture(shared_dir, name))
    await service.flush()
    rows = await repo.list(limit=100)
    want = expected("originate-busy") + expected("queue-answered") + expected("inbound-ivr-call")
    for record in want:
        if record["queue"]:  # live, the join time is when we received the event (replay has no clock)
            record["queue"]["joined_at"] = "2026-11-23T12:10:00Z"
    assert sorted(rows, key=lambda r: r["linkedid"]) == sorted(want, key=lambda r: r["linkedid"])
    # Feeding the same stream again (a replayed log, a duplicate connection) creates no second row.
    await feed_all(service, capture(shared_dir, "queue-answered"))
    await service.flush()
    assert len(await repo.list(limit=100)) == len(want)


async def test_a_failed_write_is_retried_and_nothing_is_lost(engine: AsyncEngine, shared_dir: Path) -> None:
    repo = FlakyRepo(engine, failures=3)
    service = CallService(repo, lambda: NOW, tz=UTC)
    await feed_all(service, capture(shared_dir, "fax-receive"))
    for _ in range(5):  # the flusher's retries
        await service.flush()
    assert repo.failures == 0  # three writes failed on the way
    (stored,) = await repo.list()
    assert stored == expected("fax-receive")[0]


async def test_linking_an_order_survives_later_updates(engine: AsyncEngine, shared_dir: Path) -> None:
    repo = CallRecordRepository(engine)
    service = CallService(repo, lambda: NOW, tz=UTC)
    messages = capture(shared_dir, "inbound-ivr-call")
    half = len(messages) // 2
    await feed_all(service, messages[:half])
    linkedid = "1795435368.0"
    assert await service.link_order(linkedid, "20261123-0001")
    await feed_all(service, messages[half:])
    await service.flush()
    stored = await repo.get(linkedid)
    assert stored is not None and stored["order_number"] == "20261123-0001"
    assert await repo.list(order_number="20261123-0001") == [stored]
    # After the tracker forgot the call, linking goes straight to the stored row.
    assert service.tracker.evict(NOW + timedelta(hours=1)) == [linkedid]
    assert await service.link_order(linkedid, "20261123-0002")
    assert (await repo.get(linkedid))["order_number"] == "20261123-0002"  # type: ignore[index]


class RestartingPbx:
    """A FakeAmi whose CoreStatus says when Asterisk started: ``come_back()`` moves that (and the
    app's clock) as a PBX that restarted while we were disconnected would."""

    def __init__(self, clock: dict[str, datetime], startup: str = "2026-11-23 11:00:00") -> None:
        self.clock, self.startup = clock, startup
        self.back: tuple[str, datetime] | None = None
        self.server = FakeAmi(on_action=self._script)

    def come_back(self, startup: str, at: datetime) -> None:
        self.back = (startup, at)

    def _script(self, fake: FakeAmi, writer: asyncio.StreamWriter, msg: Message) -> bytes | None:
        aid = ("ActionID", msg.get("ActionID") or "")
        if msg.get("Action") == "CoreStatus":
            if fake.logins > 1 and self.back is not None:
                self.startup, self.clock["now"] = self.back  # the reconnect happens then
            date, time = self.startup.split()
            return frame(("Response", "Success"), aid, ("CoreStartupDate", date), ("CoreStartupTime", time))
        if msg.get("Action") == "CoreShowChannels":
            return frame(("Response", "Success"), aid, ("EventList", "start"),
                         ("Message", "Channels will follow")) + frame(
                ("Event", "CoreShowChannelsComplete"), aid, ("EventList", "Complete"), ("ListItems", "0"))
        return None


async def _crash_during_a_quiet_call(engine: AsyncEngine, *, quiet: timedelta, startup_after: str,
                                     back_at: datetime) -> dict[str, Any]:
    """A call starts at NOW, nothing is heard of it for ``quiet``, then the AMI connection drops
    (Asterisk died) and the client logs in again to a PBX that says it started at ``startup_after``."""
    clock = {"now": NOW}
    repo = CallRecordRepository(engine)
    service = CallService(repo, lambda: clock["now"], tz=UTC)
    pbx = RestartingPbx(clock)
    port = await pbx.server.start()
    client = AmiClient(AmiConfig(host="127.0.0.1", port=port, secret="s3cret", backoff_initial=0.01),
                       service.on_event, on_session=service.on_session,
                       on_disconnect=service.on_disconnect)
    task = asyncio.create_task(client.run())
    try:
        while service.resyncs < 1:  # the fake PBX had no calls when the client asked
            await asyncio.sleep(0.01)
        pbx.server.writers[-1].write(frame(("Event", "Newchannel"), ("Channel", "PJSIP/trunk-00000001"),
                                           ("Uniqueid", "1795435000.1"), ("Linkedid", "1795435000.1"),
                                           ("CallerIDNum", "13800138000"), ("Exten", "12345")))
        while await repo.get("1795435000.1") is None:
            await asyncio.sleep(0.01)
        clock["now"] = NOW + quiet  # an agent call: minutes without an AMI event
        pbx.come_back(startup_after, back_at)
        pbx.server.drop_all()
        while client.sessions < 2 or (await repo.get("1795435000.1") or {}).get("ended_at") is None:
            await asyncio.sleep(0.01)
        record = await repo.get("1795435000.1")
        assert record is not None
        return record
    finally:
        await client.stop()
        await asyncio.gather(task, return_exceptions=True)
        await pbx.server.close()


async def test_calls_dropped_by_an_asterisk_crash_end_when_the_connection_dropped(engine: AsyncEngine) -> None:
    """Not at the last event heard: a quiet call lost three minutes that way."""
    record = await _crash_during_a_quiet_call(engine, quiet=timedelta(minutes=3),
                                              startup_after="2026-11-23 12:14:00",
                                              back_at=NOW + timedelta(minutes=5))
    assert record["end_reason"] == "pbx-restart" and record["hangup_cause"] == 41
    assert record["ended_at"] == "2026-11-23T12:13:00Z" and record["duration_s"] == 180
    assert record["caller"] == "13800138000" and record["called"] == "12345"


async def test_a_restart_is_seen_by_its_new_start_time_even_on_a_pbx_clock_running_behind(
        engine: AsyncEngine) -> None:
    """The PBX's clock is 5 s behind ours: it says it started before we lost it. Its start time
    changed since the last login all the same, so it restarted."""
    record = await _crash_during_a_quiet_call(engine, quiet=timedelta(seconds=30),
                                              startup_after="2026-11-23 12:10:26",
                                              back_at=NOW + timedelta(seconds=32))
    assert record["end_reason"] == "pbx-restart" and record["ended_at"] == "2026-11-23T12:10:30Z"


async def test_a_reconnect_to_the_same_asterisk_closes_what_it_lost_as_gone_not_restarted(
        engine: AsyncEngine) -> None:
    record = await _crash_during_a_quiet_call(engine, quiet=timedelta(seconds=30),
                                              startup_after="2026-11-23 11:00:00",
                                              back_at=NOW + timedelta(minutes=1))
    assert record["end_reason"] == "gone-while-disconnected" and record["ended_at"] == "2026-11-23T12:11:00Z"


class BlockedRepo(CallRecordRepository):
    """Holds every write until ``release`` is set, like a database stuck on a lock."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine)
        self.release = asyncio.Event()
        self.writes = 0

    async def upsert(self, records: Any, now: datetime) -> None:
        self.writes += 1
        await self.release.wait()
        await super().upsert(records, now)


async def test_a_slow_database_never_blocks_events_and_loses_no_later_change(engine: AsyncEngine) -> None:
    repo = BlockedRepo(engine)
    service = CallService(repo, lambda: NOW, tz=UTC)
    ch = {"Channel": "PJSIP/trunk-1", "Uniqueid": "9.1", "Linkedid": "9.1"}
    await service.on_event(Message.of({"Event": "Newchannel", **ch}))
    await asyncio.sleep(0.01)
    assert repo.writes == 1  # the first write is in flight, held by the database
    # Events keep being handled while it waits; this change arrives after the snapshot was taken.
    await service.on_event(Message.of({"Event": "DTMFEnd", "Direction": "Received", "Digit": "5", **ch}))
    repo.release.set()
    await service.close()
    stored = await repo.get("9.1")
    assert stored is not None and stored["dtmf"] == "5"
