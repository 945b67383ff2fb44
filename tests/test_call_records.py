"""Call records derived from the real Asterisk 22 AMI captures, and from hostile orderings."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from callcenter.ami.codec import AmiDecoder, Message
from callcenter.calls.replay import replay_streams
from callcenter.calls.tracker import CallTracker

EXPECTED = Path(__file__).parent / "data" / "call_records"
ORDER_FREE = ("linkedid", "caller", "caller_name", "called", "started_at", "answered_at", "ended_at",
              "duration_s", "billsec_s", "disposition", "hangup_cause", "originate")


def captures(shared_dir: Path) -> list[Path]:
    files = sorted((shared_dir / "fixtures" / "asterisk" / "ami").glob("*.rx.bin"))
    assert len(files) >= 16, files
    return files


def expected(capture: Path) -> list[dict[str, object]]:
    path = EXPECTED / (capture.name.removesuffix(".rx.bin") + ".jsonl")
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def messages(capture: Path) -> list[Message]:
    return AmiDecoder().feed(capture.read_bytes())


def test_every_capture_replays_to_its_expected_records(shared_dir: Path) -> None:
    calls = 0
    for capture in captures(shared_dir):
        want = expected(capture)
        assert replay_streams([capture.read_bytes()], tz=UTC) == want, capture.name
        calls += len(want)
    assert calls == 15


def test_replay_in_the_real_tcp_read_chunks(shared_dir: Path) -> None:
    for capture in captures(shared_dir):
        timeline = capture.with_name(capture.name.replace(".rx.bin", ".timeline.jsonl"))
        chunks = [json.loads(line) for line in timeline.read_text().splitlines()[1:]]
        rx = [c["data"].encode("latin-1") for c in chunks if c.get("dir") == "rx" and c.get("conn", 1) == 1]
        assert b"".join(rx) == capture.read_bytes()
        assert replay_streams([rx], tz=UTC) == expected(capture), capture.name


def test_byte_by_byte_reads_give_the_same_records(shared_dir: Path) -> None:
    capture = shared_dir / "fixtures" / "asterisk" / "ami" / "inbound-ivr-call.rx.bin"
    data = capture.read_bytes()
    assert replay_streams([(data[i : i + 1] for i in range(len(data)))], tz=UTC) == expected(capture)


def test_the_inbound_ivr_call_record_reads_as_the_call_went(shared_dir: Path) -> None:
    (record,) = expected(shared_dir / "fixtures" / "asterisk" / "ami" / "inbound-ivr-call.rx.bin")
    # Checked by hand against the capture: 42# for GET DATA, 1 for Read(), # ends Record().
    assert record["dtmf"] == "42#1#"
    assert record["caller"] == "+15551230001" and record["caller_name"] == "Lab Caller"
    assert record["recordings"] == ["/srv/hotline1/recordings/mix-1795435368.0.wav",
                                    "/srv/hotline1/recordings/msg-1795435368.0.wav"]
    assert (record["duration_s"], record["billsec_s"], record["hangup_cause"]) == (23, 23, 16)
    assert record["started_at"] == "2026-11-23T12:02:48Z" and record["ended_at"] == "2026-11-23T12:03:11Z"


def test_every_event_of_a_call_reversed_still_gives_its_record(shared_dir: Path) -> None:
    for name in ("originate-busy", "queue-answered", "fax-receive", "inbound-ivr-call"):
        capture = shared_dir / "fixtures" / "asterisk" / "ami" / f"{name}.rx.bin"
        tracker = CallTracker(tz=UTC)
        for msg in reversed(messages(capture)):
            tracker.feed(msg)
        got = {r["linkedid"]: r for r in tracker.records()}
        wanted = expected(capture)
        # With two failed attempts to one dial string, a reversed stream cannot tell which attempt
        # a failure reply belongs to; live originates carry our ChannelId, so they never guess.
        keys = [k for k in ORDER_FREE if k != "caller_name" and (k != "originate" or len(wanted) == 1)]
        for want in wanted:
            have = got[want["linkedid"]]
            assert {k: have[k] for k in keys} == {k: want[k] for k in keys}, name
            assert sorted(have["channels"]) == sorted(want["channels"])
            assert sorted(have["dtmf"]) == sorted(want["dtmf"])


@pytest.mark.parametrize("seed", range(5))
def test_random_interleavings_of_two_captures_keep_calls_apart(shared_dir: Path, seed: int) -> None:
    ami = shared_dir / "fixtures" / "asterisk" / "ami"
    a, b = messages(ami / "queue-answered.rx.bin"), messages(ami / "inbound-ivr-call.rx.bin")
    rng = random.Random(seed)
    merged: list[Message] = []
    while a or b:  # keeps each stream's own order, as two PBX threads would
        src = a if (a and (not b or rng.random() < 0.5)) else b
        merged.append(src.pop(0))
    tracker = CallTracker(tz=UTC)
    for msg in merged:
        tracker.feed(msg)
    want = expected(ami / "queue-answered.rx.bin") + expected(ami / "inbound-ivr-call.rx.bin")
    assert sorted(tracker.records(), key=lambda r: str(r["linkedid"])) == sorted(
        want, key=lambda r: str(r["linkedid"]))


def ev(**headers: str) -> Message:
    return Message.of(headers)


def test_resync_closes_calls_that_died_with_a_pbx_restart_once() -> None:
    tracker = CallTracker(tz=UTC)
    t0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    for uid in ("100.1", "100.2"):
        tracker.feed(ev(Event="Newchannel", Channel=f"PJSIP/trunk-{uid}", Uniqueid=uid, Linkedid="100.1",
                        CallerIDNum="13800138000", Exten="12345"), received_at=t0)
    tracker.feed(ev(Event="Newchannel", Channel="PJSIP/a-1", Uniqueid="200.1", Linkedid="200.1"), received_at=t0)
    restarted = t0 + timedelta(minutes=3)
    live = [ev(Event="CoreShowChannel", Channel="PJSIP/a-1", Uniqueid="200.1", Linkedid="200.1",
               Duration="00:05:00"),
            ev(Event="CoreShowChannel", Channel="PJSIP/b-9", Uniqueid="300.1", Linkedid="300.1",
               Duration="00:00:30")]
    now = t0 + timedelta(minutes=5)
    changed = tracker.resync(live, now, restarted_at=restarted)
    assert changed == {"100.1", "300.1"}
    closed = tracker.record("100.1")
    assert closed is not None
    assert closed["ended_at"] == "2026-11-23T08:03:00Z" and closed["end_reason"] == "pbx-restart"
    assert closed["hangup_cause"] == 41 and closed["disposition"] == "FAILED"
    assert tracker.record("200.1")["ended_at"] is None  # type: ignore[index]
    assert tracker.record("300.1")["started_at"] == "2026-11-23T08:04:30Z"  # type: ignore[index]
    # A second resync with the same live list changes nothing and creates nothing.
    assert tracker.resync(live, now, restarted_at=None) == set()
    assert len(tracker.records()) == 3


def test_originate_we_placed_links_to_its_order_even_when_the_reply_comes_first() -> None:
    tracker = CallTracker(tz=UTC)
    tracker.expect_originate("zt-7", channel_id="cb-1", order_number="20261123-0007")
    tracker.feed(ev(Event="OriginateResponse", ActionID="zt-7", Response="Success", Reason="4",
                    Channel="PJSIP/trunk-00000001", Uniqueid="cb-1"))
    tracker.feed(ev(Event="Newchannel", Channel="PJSIP/trunk-00000001", Uniqueid="cb-1", Linkedid="cb-1"))
    record = tracker.record("cb-1")
    assert record is not None
    assert record["originate"] == {"action_id": "zt-7", "reason": 4, "response": "Success"}
    assert record["order_number"] == "20261123-0007"


def test_a_failure_reply_before_the_attempts_channels_is_kept_for_them() -> None:
    tracker = CallTracker(tz=UTC)
    tracker.feed(ev(Event="OriginateResponse", ActionID="a-1", Response="Failure", Reason="5",
                    Channel="Local/busy@fail-sim", Uniqueid="<unknown>"))
    tracker.feed(ev(Event="Newchannel", Channel="Local/busy@fail-sim-00000004;1", Uniqueid="5.1", Linkedid="5.1"))
    record = tracker.record("5.1")
    assert record is not None and record["originate"] == {"action_id": "a-1", "reason": 5, "response": "Failure"}


def test_events_of_unknown_calls_and_junk_are_counted_not_fatal() -> None:
    tracker = CallTracker(tz=UTC)
    assert tracker.feed(ev(Event="Hangup", Cause="16")) == set()
    # An event of a channel not seen yet waits (bounded) for its Newchannel instead of being lost.
    assert tracker.feed(ev(Event="DTMFEnd", Linkedid="9.9", Uniqueid="9.9", Digit="5")) == set()
    assert tracker.feed(ev(Response="Success")) == set()
    assert tracker.ignored == 1 and tracker.records() == []
    assert tracker.feed(ev(Event="Newchannel", Channel="X/9", Uniqueid="9.9", Linkedid="9.9")) == {"9.9"}
    assert tracker.record("9.9")["dtmf"] == "5"  # type: ignore[index]


def test_ended_calls_are_evicted_after_their_linger() -> None:
    tracker = CallTracker(tz=UTC, linger=timedelta(seconds=60))
    t0 = datetime(2026, 11, 23, tzinfo=UTC)
    tracker.feed(ev(Event="Newchannel", Channel="X/1", Uniqueid="1.1", Linkedid="1.1"), received_at=t0)
    tracker.feed(ev(Event="Hangup", Channel="X/1", Uniqueid="1.1", Linkedid="1.1", Cause="16"), received_at=t0)
    assert tracker.evict(t0 + timedelta(seconds=30)) == []
    assert tracker.evict(t0 + timedelta(seconds=61)) == ["1.1"]
    assert tracker.records() == []


def test_resync_never_closes_a_call_that_started_while_the_list_was_on_its_way() -> None:
    tracker = CallTracker(tz=UTC)
    t0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    tracker.feed(ev(Event="Newchannel", Channel="X/old", Uniqueid="1.1", Linkedid="1.1"), received_at=t0)
    candidates = tracker.open_channels()  # taken before CoreShowChannels is sent
    tracker.feed(ev(Event="Newchannel", Channel="X/new", Uniqueid="2.1", Linkedid="2.1"), received_at=t0)
    assert tracker.resync([], t0, candidates=candidates) == {"1.1"}
    assert tracker.is_ended("1.1") and not tracker.is_ended("2.1")


def test_the_audiosocket_stream_of_a_call_is_found_by_its_uuid(shared_dir: Path) -> None:
    from callcenter.audiosocket.codec import AudioSocketDecoder

    fixtures = shared_dir / "fixtures" / "asterisk"
    first = AudioSocketDecoder().feed((fixtures / "audiosocket" / "audiosocket-call.rx.bin").read_bytes()[:19])[0]
    tracker = CallTracker(tz=UTC)
    for msg in messages(fixtures / "ami" / "audiosocket-call.rx.bin"):
        tracker.feed(msg)
    assert tracker.linkedid_for_audiosocket(str(first.uuid)) == "1795435508.36"


def test_the_dialplan_user_event_names_the_audiosocket_stream() -> None:
    """Production filters VarSet out of AMI, so the dialplan announces the UUID itself."""
    tracker = CallTracker(tz=UTC)
    ch = {"Channel": "PJSIP/trunk-7", "Uniqueid": "7.1", "Linkedid": "7.1"}
    tracker.feed(ev(Event="Newchannel", **ch))
    tracker.feed(ev(Event="UserEvent", UserEvent="ZhitongAudioSocket", UUID="A07F26C2-B4E4-401A-8B57-40B730B59537", **ch))
    assert tracker.linkedid_for_audiosocket("a07f26c2-b4e4-401a-8b57-40b730b59537") == "7.1"


@pytest.mark.parametrize(("num", "name", "cdr_src", "cdr_clid"), [
    ("anonymous", "Anonymous", "anonymous", '"Anonymous" <anonymous>'),  # a withheld SIP caller
    ("<unknown>", "<unknown>", "", '"" <>'),  # no caller ID at all
    ("Restricted", "Private", "Restricted", '"Private" <Restricted>'),
    ("alice", "Alice", "alice", '"Alice" <alice>'),  # a SIP user name, not a number
])
def test_a_caller_id_that_is_no_number_records_no_caller(num: str, name: str, cdr_src: str, cdr_clid: str) -> None:
    """The record's caller is what the screen pop looks up and agent-call drafts store: a word is none."""
    tracker = CallTracker(tz=UTC)
    ch = {"Channel": "PJSIP/hotline-trunk-00000001", "Uniqueid": "7.1", "Linkedid": "7.1"}
    tracker.feed(ev(Event="Newchannel", CallerIDNum=num, CallerIDName=name, Exten="12345", **ch))
    tracker.feed(ev(Event="Newstate", ChannelStateDesc="Up", CallerIDNum=num, CallerIDName=name, **ch))
    tracker.feed(ev(Event="Hangup", Cause="16", **ch))
    tracker.feed(ev(Event="Cdr", Source=cdr_src, CallerID=cdr_clid, Destination="12345", Channel=ch["Channel"],
                    UniqueID="7.1", Disposition="ANSWERED", StartTime="2026-11-23 12:00:00",
                    AnswerTime="2026-11-23 12:00:01", EndTime="2026-11-23 12:01:00", Duration="60",
                    BillableSeconds="59"))
    record = tracker.record("7.1")
    assert record is not None and record["caller"] is None
    assert record["caller_name"] == ("Alice" if num == "alice" else None)


def test_a_caller_number_is_recorded_in_one_form() -> None:
    tracker = CallTracker(tz=UTC)
    ch = {"Channel": "PJSIP/hotline-trunk-00000002", "Uniqueid": "8.1", "Linkedid": "8.1"}
    tracker.feed(ev(Event="Newchannel", CallerIDNum="+8613800138000", CallerIDName="Wang Jingli", **ch))
    record = tracker.record("8.1")
    assert record is not None and record["caller"] == "13800138000" and record["caller_name"] == "Wang Jingli"
