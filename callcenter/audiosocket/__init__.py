"""AudioSocket (Asterisk ``AudioSocket()`` application) wire support."""

from callcenter.audiosocket.codec import (
    AudioSocketDecoder,
    AudioSocketError,
    Frame,
    Kind,
    encode_frame,
)

__all__ = ["AudioSocketDecoder", "AudioSocketError", "Frame", "Kind", "encode_frame"]
