"""AudioSocket TLV codec against the Asterisk 22 capture (audiosocket/audiosocket-call)."""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callcenter.ami.codec import AmiDecoder
from callcenter.audiosocket.codec import (
    DEFAULT_MAX_PAYLOAD,
    AudioSocketDecoder,
    AudioSocketError,
    Frame,
    Kind,
    encode_frame,
)


@pytest.fixture(scope="module")
def capture(shared_dir: Path) -> dict[str, object]:
    base = shared_dir / "fixtures" / "asterisk"
    rows = [json.loads(x) for x in (base / "audiosocket" / "audiosocket-call.messages.jsonl").read_text().splitlines()]
    return {
        "rx": (base / "audiosocket" / "audiosocket-call.rx.bin").read_bytes(),
        "tx": (base / "audiosocket" / "audiosocket-call.tx.bin").read_bytes(),
        "rows": rows,
        "ami": (base / "ami" / "audiosocket-call.rx.bin").read_bytes(),
    }


def decode_with_offsets(data: bytes, sizes: list[int] | None = None) -> list[tuple[int, Frame]]:
    dec = AudioSocketDecoder()
    out: list[tuple[int, Frame]] = []
    pos, i = 0, 0
    while pos < len(data):
        n = sizes[i % len(sizes)] if sizes else len(data)
        i += 1
        before = dec.offset
        frames = dec.feed(data[pos : pos + n])
        off = before
        for f in frames:
            out.append((off, f))
            off += 3 + len(f.payload)
        pos += n
    assert dec.buffered == 0
    return out


@pytest.mark.parametrize("direction", ["rx", "tx"])
@pytest.mark.parametrize("chunking", ["whole", "random", "bytewise-head"])
def test_capture_matches_index(capture: dict, direction: str, chunking: str) -> None:
    data: bytes = capture[direction]  # type: ignore[assignment]
    sizes = None
    if chunking == "random":
        rnd = random.Random(7)
        sizes = [rnd.randint(1, 700) for _ in range(500)]
    elif chunking == "bytewise-head":
        data = data[:3000]  # keep it quick; whole messages only
        data = data[: max(r["offset"] + 3 + r["len"] for r in capture["rows"]  # type: ignore[union-attr]
                          if r["dir"] == direction and r["offset"] + 3 + r["len"] <= 3000)]
        sizes = [1]
    got = decode_with_offsets(data, sizes)
    rows = [r for r in capture["rows"] if r["dir"] == direction]  # type: ignore[union-attr]
    rows = rows[: len(got)]
    assert [(o, int(f.kind), len(f.payload)) for o, f in got] == [(r["offset"], r["kind"], r["len"]) for r in rows]
    for (_, f), r in zip(got, rows, strict=True):
        if "payload_hex" in r:
            assert f.payload.hex() == r["payload_hex"]


def test_capture_facts(capture: dict) -> None:
    frames = [f for _, f in decode_with_offsets(capture["rx"])]  # type: ignore[arg-type]
    assert frames[0].kind is Kind.UUID
    dtmf = [f.digit for f in frames if f.kind is Kind.DTMF]
    assert dtmf == ["5"]
    assert all(f.kind is not Kind.HANGUP for f in frames)  # Asterisk just closes TCP
    audio = [f for f in frames if f.kind is Kind.AUDIO]
    assert max(len(f.payload) for f in audio) == 320
    as_uuid = [m.get("Value") for m in AmiDecoder().feed(capture["ami"])  # type: ignore[arg-type]
               if m.name == "VarSet" and m.get("Variable") == "AS_UUID"]
    assert as_uuid and frames[0].uuid == uuid.UUID(as_uuid[0])


def test_reencode_is_byte_identical(capture: dict) -> None:
    for direction in ("rx", "tx"):
        data: bytes = capture[direction]  # type: ignore[assignment]
        frames = AudioSocketDecoder().feed(data)
        assert b"".join(encode_frame(f.kind, f.payload) for f in frames) == data


def test_encode_frame_layout() -> None:
    assert encode_frame(Kind.DTMF, b"5") == b"\x03\x00\x015"
    assert encode_frame(Kind.HANGUP) == b"\x00\x00\x00"
    assert encode_frame(0x10, b"\x01\x00" * 160)[:3] == b"\x10\x01\x40"


@pytest.mark.parametrize(
    ("data", "error_id"),
    [
        (b"\x02\x00\x00", "audiosocket-bad-kind"),
        (b"\x10" + (DEFAULT_MAX_PAYLOAD + 2).to_bytes(2, "big"), "audiosocket-oversize"),
        (b"\x01\x00\x05abcde", "audiosocket-bad-length"),
        (b"\x03\x00\x02ab", "audiosocket-bad-length"),
        (b"\x10\x00\x03abc", "audiosocket-bad-length"),
    ],
)
def test_typed_errors(data: bytes, error_id: str) -> None:
    dec = AudioSocketDecoder()
    with pytest.raises(AudioSocketError) as info:
        dec.feed(data)
    assert info.value.error_id == error_id
    with pytest.raises(AudioSocketError):
        dec.feed(b"\x10\x00\x00")  # a failed decoder stays failed


def test_encode_rejects_bad_input() -> None:
    with pytest.raises(AudioSocketError) as info:
        encode_frame(0x42, b"")
    assert info.value.error_id == "audiosocket-bad-kind"
    with pytest.raises(AudioSocketError):
        encode_frame(Kind.UUID, b"short")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000), st.lists(st.integers(1, 64), min_size=1, max_size=20))
def test_fuzz_never_crashes_untyped(data: bytes, sizes: list[int]) -> None:
    dec = AudioSocketDecoder(max_payload=512)
    pos, i = 0, 0
    try:
        while pos < len(data):
            n = sizes[i % len(sizes)]
            for f in dec.feed(data[pos : pos + n]):
                assert len(f.payload) <= 512
            pos, i = pos + n, i + 1
    except AudioSocketError as exc:
        assert exc.error_id.startswith("audiosocket-")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.binary(min_size=16, max_size=16).map(lambda b: Frame(Kind.UUID, b)),
    st.sampled_from("0123456789*#").map(lambda d: Frame(Kind.DTMF, d.encode())),
    st.binary(max_size=200).map(lambda b: Frame(Kind.AUDIO, b[: len(b) // 2 * 2])),
    st.just(Frame(Kind.HANGUP)),
), max_size=30), st.integers(1, 50))
def test_roundtrip(frames: list[Frame], chunk: int) -> None:
    wire = b"".join(encode_frame(f.kind, f.payload) for f in frames)
    dec = AudioSocketDecoder()
    got: list[Frame] = []
    for i in range(0, len(wire), chunk):
        got += dec.feed(wire[i : i + chunk])
    assert got == frames
