"""Calls hung up by Asterisk's own shutdown (``core restart now``, ``core stop now``).

Asterisk 22 (main/asterisk.c can_safely_quit -> ast_softhangup_all, main/channel.c) soft-hangs up
every channel with AST_SOFTHANGUP_SHUTDOWN (4) *before* it says ``Event: Shutdown``; each channel
then ends its dialplan (another SoftHangupRequest, Cause 16 = AST_SOFTHANGUP_APPUNLOAD) and hangs
up with Cause 0. The frames below are the captured ones of ``inbound-ivr-call`` with only their
Cause changed to what that path sends.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from callcenter.ami.codec import AmiDecoder, Message
from callcenter.calls.tracker import CallTracker

PRIMARY, SECOND = "1795435368.0", "1795435368.1"


def _frames(shared_dir: Path) -> list[bytes]:
    data = (shared_dir / "fixtures" / "asterisk" / "ami" / "inbound-ivr-call.rx.bin").read_bytes()
    banner, _, rest = data.partition(b"\r\n")
    return [frame + b"\r\n\r\n" for frame in rest.split(b"\r\n\r\n") if frame]


def _decode(frames: list[bytes]) -> list[Message]:
    return AmiDecoder(expect_banner=False).feed(b"".join(frames))


def _captured(frames: list[bytes], event: str, uniqueid: str) -> bytes:
    return next(f for f in frames if f.startswith(f"Event: {event}\r\n".encode())
                and f"Uniqueid: {uniqueid}\r\n".encode() in f)


def _with_cause(frame: bytes, cause: int) -> bytes:
    head, _, tail = frame.partition(b"Cause: 16\r\n")
    assert tail is not None and head != frame, frame
    tail = tail.replace(b"Cause-txt: Normal Clearing\r\n", b"Cause-txt: Unknown\r\n") if cause == 0 else tail
    return head + f"Cause: {cause}\r\n".encode() + tail


def restart_mid_call(shared_dir: Path) -> list[Message]:
    """The captured call up to its own hang-up, then ``core restart now`` as Asterisk 22 sends it."""
    frames = _frames(shared_dir)
    cut = frames.index(_captured(frames, "SoftHangupRequest", PRIMARY))
    soft = {uid: _captured(frames, "SoftHangupRequest", uid) for uid in (PRIMARY, SECOND)}
    hangup = {uid: _captured(frames, "Hangup", uid) for uid in (PRIMARY, SECOND)}
    shutdown = [
        _with_cause(soft[PRIMARY], 4), _with_cause(soft[SECOND], 4),  # ast_softhangup_all()
        soft[PRIMARY],  # Cause 16: AST_SOFTHANGUP_APPUNLOAD, the end of the primary's dialplan
        _with_cause(hangup[PRIMARY], 0),
        soft[SECOND],
        _with_cause(hangup[SECOND], 0),
        b"Event: Shutdown\r\nPrivilege: system,all\r\nShutdown: Cleanly\r\nRestart: True\r\n\r\n",
    ]
    return _decode(frames[:cut] + shutdown)


def test_a_call_hung_up_by_core_restart_now_ends_as_a_pbx_restart(shared_dir: Path) -> None:
    tracker = CallTracker(tz=UTC)
    for msg in restart_mid_call(shared_dir):
        tracker.feed(msg)
    record = tracker.record(PRIMARY)
    assert record is not None and record["ended_at"] is not None
    assert record["end_reason"] == "pbx-restart"
    # The same as a call closed because Asterisk restarted while we were disconnected.
    assert record["hangup_cause"] == 41
    assert record["answered_at"] is not None and record["disposition"] == "ANSWERED"


def test_a_normal_hang_up_with_its_end_of_dialplan_soft_hangup_is_no_restart(shared_dir: Path) -> None:
    tracker = CallTracker(tz=UTC)
    for msg in _decode(_frames(shared_dir)):
        tracker.feed(msg)
    record = tracker.record(PRIMARY)
    assert record is not None and record["end_reason"] is None and record["hangup_cause"] == 16


def test_a_soft_hangup_flag_is_never_taken_for_a_hangup_cause() -> None:
    """AGI HANGUP soft-hangs up with AST_SOFTHANGUP_EXPLICIT (32), then the end of the dialplan with
    AST_SOFTHANGUP_APPUNLOAD (16); Asterisk's Hangup says Cause 0 (agi-full-session capture)."""
    tracker, at = CallTracker(tz=UTC), datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    ch = {"Channel": "Local/agifull@caller-sim-extra-00000010;1", "Uniqueid": "7.1", "Linkedid": "7.1"}
    tracker.feed(Message.of({"Event": "Newchannel", **ch}))
    for cause in ("32", "16"):
        tracker.feed(Message.of({"Event": "SoftHangupRequest", **ch, "Cause": cause}))
    tracker.feed(Message.of({"Event": "Hangup", **ch, "Cause": "0", "Cause-txt": "Unknown"}), received_at=at)
    record = tracker.record("7.1")
    assert record is not None and record["hangup_cause"] == 0 and record["end_reason"] is None
    # A hard HangupRequest's Cause is Q.850 (ast_queue_hangup_with_cause): still the fallback.
    other = {"Channel": "Local/x@y-00000011;2", "Uniqueid": "8.1", "Linkedid": "8.1"}
    tracker.feed(Message.of({"Event": "Newchannel", **other}))
    tracker.feed(Message.of({"Event": "HangupRequest", **other, "Cause": "17"}))
    tracker.feed(Message.of({"Event": "Hangup", **other, "Cause": "0", "Cause-txt": "Unknown"}), received_at=at)
    assert tracker.record("8.1")["hangup_cause"] == 17  # type: ignore[index]
