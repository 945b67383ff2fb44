"""The hardened listeners refuse nothing a real Asterisk 22 sends (../shared/fixtures/asterisk).

Every hostile-input check of this suite (NUL bytes, impossible channel ids, DTMF bytes, bounds on
numbers, dates and sizes) is run here over the real captures: none may fire.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

from callcenter.ami.codec import AmiDecoder
from callcenter.audiosocket.codec import AudioSocketDecoder, Kind
from callcenter.calls.tracker import CallTracker
from ivr.agi.codec import HeaderReader, ReplyReader, is_channel_id
from tests.security.test_hostile_audiosocket import Listener


def captures(shared_dir: Path, kind: str) -> list[Path]:
    found = sorted((shared_dir / "fixtures" / "asterisk" / kind).glob("*.rx.bin"))
    assert found, f"no {kind} captures"
    return found


def test_agi_captures_raise_no_problem(shared_dir: Path) -> None:
    for path in captures(shared_dir, "agi"):
        headers = HeaderReader()
        request = headers.feed(path.read_bytes())
        assert request is not None and request.problems == (), path.name
        assert is_channel_id(request.uniqueid)
        reader = ReplyReader()
        items = reader.feed(headers.remainder)
        assert items and not reader.pending, path.name


def test_ami_captures_lose_no_event_live_or_replayed(shared_dir: Path) -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    for path in captures(shared_dir, "ami"):
        decoder = AmiDecoder()
        messages = decoder.feed(path.read_bytes())
        assert decoder.dropped_nul == 0 and decoder.buffered == 0, path.name
        for received_at in (now, None):
            tracker = CallTracker(tz=UTC)
            for msg in messages:
                tracker.feed(msg, received_at)
            assert tracker.dropped == 0, path.name
            for call in tracker.calls.values():
                assert is_channel_id(call.linkedid)
                json.dumps(call.to_json())  # every time converts; nothing overflows


async def test_the_audiosocket_capture_is_streamed_whole(shared_dir: Path) -> None:
    (path,) = captures(shared_dir, "audiosocket")
    data = path.read_bytes()
    frames = AudioSocketDecoder().feed(data)
    assert [f.digit for f in frames if f.kind is Kind.DTMF] == ["5"]
    audio = sum(len(f.payload) for f in frames if f.kind is Kind.AUDIO)
    call = frames[0].uuid
    lis = Listener()
    port = await lis.start()
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for i in range(0, len(data), 1000):  # in pieces, as TCP delivers it
            writer.write(data[i:i + 1000])
            await writer.drain()
        writer.close()  # how Asterisk ends the stream
        assert await lis.final(call) == f"{audio} bytes"
        assert lis.server.refused == 0 and lis.server.rejected == 0
        assert isinstance(call, uuid.UUID)
    finally:
        await lis.server.close()
