"""``zhitong ami replay``: derive call records from raw AMI byte streams (Asterisk's side)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from datetime import tzinfo
from pathlib import Path
from typing import IO, Any

from callcenter.ami.codec import AmiDecoder, AmiProtocolError
from callcenter.calls.tracker import CallTracker

CHUNK = 64 * 1024


def replay_streams(streams: Iterable[bytes | Iterable[bytes]], *, tz: tzinfo) -> list[dict[str, Any]]:
    """Records of every call in the streams, in order of first appearance.

    Each stream is one AMI connection (its own decoder); all feed one tracker, so a call seen in
    two captures is still one record. A stream may be given whole or as chunks (TCP reads).
    """
    tracker = CallTracker(tz=tz)
    for stream in streams:
        decoder = AmiDecoder()
        chunks = [stream] if isinstance(stream, bytes) else stream
        try:
            for chunk in chunks:
                for msg in decoder.feed(chunk):
                    tracker.feed(msg)
        except AmiProtocolError as exc:
            # Framing is lost from here on; what was decoded before still counts.
            print(f"zhitong ami replay: stream cut short: {exc}", file=sys.stderr)
    return tracker.records()


def _chunks(path: Path) -> Iterable[bytes]:
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def replay_files(paths: Iterable[Path], out: IO[str], *, tz: tzinfo) -> int:
    records = replay_streams((_chunks(p) for p in paths), tz=tz)
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    return len(records)
