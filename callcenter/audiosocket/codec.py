"""AudioSocket TLV codec: pure functions on bytes, checked against the Asterisk 22 capture.

Every message is ``kind`` (1 byte), ``length`` (2 bytes, big-endian), ``payload``. Kinds:
0x00 hangup, 0x01 UUID (16 raw bytes), 0x03 DTMF (one ASCII digit), 0x10 audio (signed 16-bit
LITTLE-endian slin, 8 kHz mono; 320 bytes = 20 ms, shorter at the end of a prompt), 0xff error.
Asterisk ends a call by closing TCP: no 0x00 message is sent (see the capture README).
"""

from __future__ import annotations

import enum
import uuid as _uuid
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "AudioSocketDecoder", "AudioSocketError", "Frame", "Kind", "encode_frame",
    "DEFAULT_MAX_PAYLOAD", "FRAME_BYTES", "SAMPLE_RATE",
]

SAMPLE_RATE = 8000
FRAME_BYTES = 320  # 20 ms of 8 kHz 16-bit mono
HEADER_BYTES = 3
# Asterisk never sends more than a few hundred bytes per audio frame; a larger length means the
# stream is out of step (or hostile), so it is refused instead of buffered.
DEFAULT_MAX_PAYLOAD = 4096
# res_audiosocket.c writes the DTMF frame's digit as one byte: 0-9, *, #, and A-D.
DTMF_DIGITS = frozenset(b"0123456789*#ABCDabcd")


class Kind(enum.IntEnum):
    HANGUP = 0x00
    UUID = 0x01
    DTMF = 0x03
    AUDIO = 0x10
    ERROR = 0xFF


class AudioSocketError(Exception):
    """The stream broke the AudioSocket framing; drop the connection."""

    error_id: ClassVar[str] = "audiosocket-protocol-error"

    def __init__(self, message: str, *, error_id: str | None = None, frames: list[Frame] | None = None) -> None:
        super().__init__(message)
        if error_id is not None:
            self.error_id = error_id
        # Frames completed in the same feed() before the broken one: already received, not to be lost.
        self.frames: list[Frame] = frames or []


@dataclass(frozen=True, slots=True)
class Frame:
    kind: Kind
    payload: bytes = b""

    @property
    def uuid(self) -> _uuid.UUID:
        if self.kind is not Kind.UUID:
            raise ValueError(f"not a UUID frame: {self.kind.name}")
        return _uuid.UUID(bytes=self.payload)

    @property
    def digit(self) -> str:
        if self.kind is not Kind.DTMF:
            raise ValueError(f"not a DTMF frame: {self.kind.name}")
        return self.payload.decode("ascii")


_EXACT_LEN = {Kind.UUID: 16, Kind.DTMF: 1}


def _check(kind: Kind, length: int, max_payload: int) -> None:
    if length > max_payload:
        raise AudioSocketError(
            f"{kind.name} payload of {length} bytes exceeds {max_payload}", error_id="audiosocket-oversize"
        )
    want = _EXACT_LEN.get(kind)
    if want is not None and length != want:
        raise AudioSocketError(
            f"{kind.name} payload must be {want} bytes, got {length}", error_id="audiosocket-bad-length"
        )
    if kind is Kind.AUDIO and length % 2:
        raise AudioSocketError(f"odd audio payload length {length}", error_id="audiosocket-bad-length")


def encode_frame(kind: Kind | int, payload: bytes = b"", *, max_payload: int = 0xFFFF) -> bytes:
    """One TLV message; validates the kind and the payload length like the decoder does."""
    try:
        k = Kind(kind)
    except ValueError:
        raise AudioSocketError(f"unknown kind 0x{int(kind):02x}", error_id="audiosocket-bad-kind") from None
    payload = bytes(payload)
    _check(k, len(payload), min(max_payload, 0xFFFF))
    return bytes([k]) + len(payload).to_bytes(2, "big") + payload


class AudioSocketDecoder:
    """Incremental decoder for one connection: ``feed(bytes) -> list[Frame]``.

    After an AudioSocketError the decoder refuses further input: the stream position is lost.
    """

    def __init__(self, *, max_payload: int = DEFAULT_MAX_PAYLOAD) -> None:
        self.max_payload = max_payload
        self.offset = 0  # stream offset of the next message not yet returned
        self._buf = bytearray()
        self._failed = False

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[Frame]:
        if self._failed:
            raise AudioSocketError("decoder already failed; reconnect", error_id="audiosocket-failed")
        self._buf += data
        out: list[Frame] = []
        pos = 0
        try:
            while len(self._buf) - pos >= HEADER_BYTES:
                raw_kind = self._buf[pos]
                try:
                    kind = Kind(raw_kind)
                except ValueError:
                    raise AudioSocketError(
                        f"unknown kind 0x{raw_kind:02x} at offset {self.offset}", error_id="audiosocket-bad-kind"
                    ) from None
                length = int.from_bytes(self._buf[pos + 1 : pos + 3], "big")
                _check(kind, length, self.max_payload)
                end = pos + HEADER_BYTES + length
                if end > len(self._buf):
                    break
                payload = bytes(self._buf[pos + HEADER_BYTES : end])
                if kind is Kind.DTMF and payload[0] not in DTMF_DIGITS:
                    # It would reach the agents' screens as a key the caller pressed.
                    raise AudioSocketError(f"DTMF frame with byte 0x{payload[0]:02x} at offset {self.offset}",
                                           error_id="audiosocket-bad-dtmf")
                out.append(Frame(kind, payload))
                self.offset += end - pos
                pos = end
        except AudioSocketError as exc:
            self._failed = True
            self._buf.clear()
            exc.frames = out
            raise
        del self._buf[:pos]
        return out
