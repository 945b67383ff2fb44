"""Calls stored as open when the app (re)starts: reconciled with Asterisk's channel list at login.

One CallService stores the captured ``inbound-ivr-call`` half-way (after the caller's "42#"), as an
app that then stopped would have; another, with a fresh tracker, logs in. Its CoreStatus and
CoreShowChannels are answered with the captured frames (the capture asked CoreShowChannels in the
middle of that very call).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.ami.codec import Message
from callcenter.ami.connection import ActionResult
from callcenter.calls.services import CallService
from callcenter.calls.tracker import CallTracker
from callcenter.db.calls import CallRecordRepository
from tests.test_call_service import capture, expected, feed_all

LINKEDID = "1795435368.0"
STARTED = datetime(2026, 11, 23, 12, 2, 48, tzinfo=UTC)  # the call's Uniqueid; the lab's PBX ran in UTC
HALF = 70  # the messages up to the caller's "42#"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class CapturedPbx:
    """The two actions of the session hook, answered with frames captured from Asterisk 22."""

    def __init__(self, shared_dir: Path, *, live: bool, startup: str = "2026-11-23 12:02:40",
                 while_listing: Callable[[], Awaitable[None]] | None = None) -> None:
        self.startup = startup.split()
        self.while_listing = while_listing
        messages = capture(shared_dir, "inbound-ivr-call")
        status = capture(shared_dir, "login-ping-logoff")
        self.status = next(m for m in status if m.get("CoreStartupDate"))
        listing = [m for m in messages if m.action_id == "lab-1-003"]
        self.list_start, self.list_end = listing[0], listing[-1]
        self.items = listing[1:-1] if live else []
        assert [m.name for m in listing[1:-1]] == ["CoreShowChannel", "CoreShowChannel"]

    async def action(self, name: str, headers: Any = (), **kw: Any) -> ActionResult:
        if name == "CoreStatus":
            date, time = self.startup
            return ActionResult(Message(tuple(
                (k, date if k == "CoreStartupDate" else time if k == "CoreStartupTime" else v)
                for k, v in self.status.headers)))
        assert name == "CoreShowChannels"
        if self.while_listing is not None:
            await self.while_listing()
        return ActionResult(self.list_start, list(self.items), self.list_end)


async def stored_half_way(engine: AsyncEngine, shared_dir: Path) -> tuple[CallService, list[Message]]:
    """The first app: it saw the call start, stored it, and was stopped."""
    first = CallService(CallRecordRepository(engine), Clock(STARTED), tz=UTC)
    messages = capture(shared_dir, "inbound-ivr-call")
    await feed_all(first, messages[:HALF])
    await first.flush()
    stored = await first.repo.get(LINKEDID)
    assert stored is not None and stored["ended_at"] is None and stored["dtmf"] == "42#"
    return first, messages[HALF:]


async def test_a_call_the_app_left_open_is_closed_when_asterisk_no_longer_has_it(
        engine: AsyncEngine, shared_dir: Path) -> None:
    await stored_half_way(engine, shared_dir)
    back = STARTED + timedelta(minutes=10)
    second = CallService(CallRecordRepository(engine), Clock(back), tz=UTC)
    await second.on_session(CapturedPbx(shared_dir, live=False))  # type: ignore[arg-type]
    record = await second.repo.get(LINKEDID)
    assert record is not None
    assert record["ended_at"] == "2026-11-23T12:12:48Z" and record["end_reason"] == "app-restart"
    assert record["hangup_cause"] == 0 and record["duration_s"] == 600 and record["disposition"] == "ANSWERED"
    # What the first app had stored of the call is kept.
    assert record["started_at"] == "2026-11-23T12:02:48Z" and record["answered_at"] == "2026-11-23T12:02:48Z"
    assert (record["caller"], record["caller_name"], record["dtmf"]) == ("+15551230001", "Lab Caller", "42#")
    assert record["originate"] == expected("inbound-ivr-call")[0]["originate"]
    assert record["channels"] == expected("inbound-ivr-call")[0]["channels"]


async def test_a_call_still_running_is_tracked_on_and_its_own_hangup_closes_it(
        engine: AsyncEngine, shared_dir: Path) -> None:
    _, rest = await stored_half_way(engine, shared_dir)
    clock = Clock(STARTED + timedelta(seconds=10))
    second = CallService(CallRecordRepository(engine), clock, tz=UTC)
    await second.on_session(CapturedPbx(shared_dir, live=True))  # type: ignore[arg-type]
    await second.flush()
    assert (await second.repo.get(LINKEDID))["ended_at"] is None  # type: ignore[index]
    clock.now = datetime(2026, 11, 23, 12, 3, 11, tzinfo=UTC)  # when the capture's Hangup came
    await feed_all(second, [m for m in rest if m.name != "Cdr"])  # no Cdr: times are ours alone
    await second.flush()
    record = await second.repo.get(LINKEDID)
    assert record is not None and record["end_reason"] is None
    assert record["ended_at"] == "2026-11-23T12:03:11Z" and record["duration_s"] == 23
    assert record["dtmf"] == "42#1#" and record["hangup_cause"] == 16
    # With the Cdr the record is the one of a call watched from start to end.
    third_rest = [m for m in rest if m.name == "Cdr"]
    await feed_all(second, third_rest)
    await second.flush()
    assert await second.repo.get(LINKEDID) == expected("inbound-ivr-call")[0]


async def test_a_call_older_than_asterisk_itself_died_with_its_restart(engine: AsyncEngine, shared_dir: Path) -> None:
    await stored_half_way(engine, shared_dir)
    second = CallService(CallRecordRepository(engine), Clock(STARTED + timedelta(hours=1)), tz=UTC)
    await second.on_session(CapturedPbx(shared_dir, live=False, startup="2026-11-23 12:05:00"))  # type: ignore[arg-type]
    record = await second.repo.get(LINKEDID)
    assert record is not None
    assert record["end_reason"] == "pbx-restart" and record["hangup_cause"] == 41
    assert record["ended_at"] == "2026-11-23T12:05:00Z"


async def test_two_nodes_closing_the_same_call_do_not_fight(engine: AsyncEngine, shared_dir: Path) -> None:
    """Both read the call as open; node 2 closes it while node 1's channel list is on its way."""
    await stored_half_way(engine, shared_dir)
    node1, node2 = (CallService(CallRecordRepository(engine), Clock(STARTED + timedelta(minutes=m)), tz=UTC)
                    for m in (5, 6))

    async def node2_logs_in() -> None:
        await node2.on_session(CapturedPbx(shared_dir, live=False))  # type: ignore[arg-type]

    await node1.on_session(CapturedPbx(shared_dir, live=False, while_listing=node2_logs_in))  # type: ignore[arg-type]
    for node in (node1, node2):
        assert node.tracker.record(LINKEDID)["end_reason"] == "app-restart"  # type: ignore[index]
    record = await node1.repo.get(LINKEDID)
    assert record is not None and record["ended_at"] == "2026-11-23T12:08:48Z"  # node 2's, not overwritten


async def test_a_guess_never_replaces_the_end_another_node_saw(engine: AsyncEngine, shared_dir: Path) -> None:
    """Node A watched the call; node B starts, reads it as open, and while B's channel list is on
    its way the call ends and A stores the real end. B's list no longer has the call."""
    first, rest = await stored_half_way(engine, shared_dir)

    async def call_ends_on_node_a() -> None:
        await feed_all(first, rest)
        await first.flush()

    node_b = CallService(CallRecordRepository(engine), Clock(STARTED + timedelta(minutes=1)), tz=UTC)
    await node_b.on_session(CapturedPbx(shared_dir, live=False, while_listing=call_ends_on_node_a))  # type: ignore[arg-type]
    assert node_b.tracker.record(LINKEDID)["end_reason"] == "app-restart"  # type: ignore[index]
    assert await node_b.repo.get(LINKEDID) == expected("inbound-ivr-call")[0]


@pytest.mark.parametrize("when", ["before the stored calls are read", "while the list is on its way"])
async def test_the_end_heard_after_the_login_is_the_real_one(engine: AsyncEngine, shared_dir: Path,
                                                             when: str) -> None:
    _, rest = await stored_half_way(engine, shared_dir)
    second = CallService(CallRecordRepository(engine), Clock(STARTED + timedelta(minutes=1)), tz=UTC)
    ended: list[dict[str, Any]] = []

    async def on_ended(record: dict[str, Any]) -> None:
        ended.append(record)

    second.ended_hooks.append(on_ended)

    async def hangup_arrives() -> None:
        await feed_all(second, rest)

    if when.startswith("before"):  # events flow from the login on, the session hook reads the database
        await hangup_arrives()
    pbx = CapturedPbx(shared_dir, live=False, while_listing=hangup_arrives if when.startswith("while") else None)
    await second.on_session(pbx)  # type: ignore[arg-type]
    await second.close()
    assert await second.repo.get(LINKEDID) == expected("inbound-ivr-call")[0]
    assert [r["linkedid"] for r in ended] == [LINKEDID]  # e.g. the agent call's transcription


def test_a_damaged_stored_record_is_taken_for_what_it_still_says() -> None:
    tracker = CallTracker(tz=UTC)
    taken, _ = tracker.adopt([
        {"linkedid": "../../etc"}, {"linkedid": 7}, {},
        {"linkedid": "1.1", "channels": "PJSIP/x", "dtmf": 5, "ivr_path": [1, "menu"], "queue": [],
         "started_at": "yesterday", "answered_at": "2026-11-23T12:00:00", "caller": ["x"], "fax": "no",
         "recordings": ["/a.wav", None], "order_number": 20261123},
        {"linkedid": "2.1", "queue": {"agent": 5}, "fax": {"pages": "x"}},
    ])
    assert taken == {"1.1", "2.1"}
    # The facts of later events still apply to what a damaged record left.
    leg = {"Channel": "PJSIP/t-1", "Uniqueid": "2.1", "Linkedid": "2.1"}
    for event in ({"Event": "QueueCallerLeave", "Queue": "q"}, {"Event": "ReceiveFAX", "PagesTransferred": "2"}):
        assert tracker.feed(Message.of({**event, **leg}), received_at=datetime(2026, 11, 23, tzinfo=UTC)) == {"2.1"}
    assert tracker.record("2.1")["fax"]["pages"] == 2  # type: ignore[index]
    record = tracker.record("1.1")
    assert record is not None and record["ended_at"] is None and record["channels"] == [""]
    assert (record["dtmf"], record["ivr_path"], record["recordings"]) == ("", ["menu"], ["/a.wav"])
    assert record["started_at"] is None and record["answered_at"] is None and record["caller"] is None
    assert record["queue"] is None and record["fax"] is None and record["order_number"] is None
    assert tracker.resync([], datetime(2026, 11, 23, tzinfo=UTC), candidates=tracker.open_channels()) == {"1.1", "2.1"}
    assert tracker.record("1.1")["end_reason"] == "app-restart"  # type: ignore[index]


async def test_an_order_linked_to_a_call_closed_on_a_guess_is_stored(engine: AsyncEngine, shared_dir: Path) -> None:
    """The guessed end is stored once, over the open row; a link made later (the voice message of
    that call became a draft) still reaches the row."""
    await stored_half_way(engine, shared_dir)
    second = CallService(CallRecordRepository(engine), Clock(STARTED + timedelta(minutes=10)), tz=UTC)
    await second.on_session(CapturedPbx(shared_dir, live=False))  # type: ignore[arg-type]
    assert await second.link_order(LINKEDID, "20261123-0001")
    record = await second.repo.get(LINKEDID)
    assert record is not None and record["order_number"] == "20261123-0001"
    assert record["end_reason"] == "app-restart"
