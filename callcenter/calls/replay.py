"""``zhitong ami replay``: derive call records from raw AMI byte streams (Asterisk's side)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable
from datetime import tzinfo
from pathlib import Path
from typing import IO, Any

from callcenter.ami.codec import AmiDecoder, AmiProtocolError
from callcenter.calls.tracker import CallTracker

CHUNK = 64 * 1024
BANNER = "Asterisk Call Manager/"


class NotAnAmiCapture(Exception):
    """A stream holds no AMI that Asterisk sent: no banner and no event or response."""

    error_id = "not-an-ami-capture"


class CaptureUnreadable(Exception):
    error_id = "capture-unreadable"


def replay_streams(streams: Iterable[bytes | Iterable[bytes]], *, tz: tzinfo,
                   names: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Records of every call in the streams, in order of first appearance.

    Each stream is one AMI connection (its own decoder); all feed one tracker, so a call seen in
    two captures is still one record. A stream may be given whole or as chunks (TCP reads).
    A stream that is not Asterisk's side of an AMI connection raises `NotAnAmiCapture` (named
    by `names`, else by its position): replaying it would silently give no calls.
    """
    tracker = CallTracker(tz=tz)
    labels = iter(names or ())
    for number, stream in enumerate(streams, start=1):
        name = next(labels, f"stream #{number}")
        decoder = AmiDecoder()
        kinds: Counter[str] = Counter()
        chunks = [stream] if isinstance(stream, bytes) else stream
        try:
            for chunk in chunks:
                for msg in decoder.feed(chunk):
                    kinds[msg.kind] += 1
                    tracker.feed(msg)
        except AmiProtocolError as exc:
            if not _from_asterisk(decoder, kinds):
                raise NotAnAmiCapture(f"{name} is not an AMI capture ({exc})") from None
            # Framing is lost from here on; what was decoded before still counts.
            print(f"zhitong ami replay: {name}: stream cut short: {exc}", file=sys.stderr)
        if not _from_asterisk(decoder, kinds):
            raise NotAnAmiCapture(_not_ami_reason(name, kinds))
    return tracker.records()


def _from_asterisk(decoder: AmiDecoder, kinds: Counter[str]) -> bool:
    return (decoder.banner or "").startswith(BANNER) or bool(kinds["event"] or kinds["response"])


def _not_ami_reason(name: str, kinds: Counter[str]) -> str:
    if kinds["action"]:
        return (f"{name} holds only AMI actions, the client's side of a connection; "
                "replay what Asterisk sent (e.g. NAME.rx.bin)")
    if not kinds:
        return f"{name} is not an AMI capture (no AMI banner or messages in it)"
    return f"{name} is not an AMI capture (no AMI banner, events or responses in it)"


def _chunks(path: Path) -> Iterable[bytes]:
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    except OSError as exc:
        raise CaptureUnreadable(f"cannot read {path}: {exc.strerror or exc}") from None


def replay_files(paths: Iterable[Path], out: IO[str], *, tz: tzinfo) -> int:
    paths = list(paths)
    records = replay_streams((_chunks(p) for p in paths), tz=tz, names=(str(p) for p in paths))
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
    return len(records)
