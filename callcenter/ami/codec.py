"""AMI wire codec: bytes <-> messages, with no I/O.

Asterisk (22.x, AMI 11.0.0) sends one banner line ``Asterisk Call Manager/11.0.0\\r\\n`` and then
messages made of ``Name: value`` lines closed by an empty line. The decoder works on BYTES and only
turns a message into text once all of its bytes are there, so a UTF-8 character split between two
TCP reads is never damaged (panoramisk decodes each read on its own and mangles such characters).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import ClassVar

from callcenter.ami.message import Message, is_plain, norm_name, parse_text

__all__ = ["AmiDecoder", "AmiProtocolError", "Message", "encode_action", "DEFAULT_MAX_BUFFER"]

DEFAULT_MAX_BUFFER = 1024 * 1024

# End of a message: an empty line. "\n\r?\n" covers "\r\n\r\n", "\n\n" and mixes such as "\r\n\n",
# so peers (or test tools) that use bare LF are tolerated.
_MESSAGE_END = re.compile(rb"\n\r?\n")
# Legacy "Response: Follows" (Asterisk < 14 Command output): raw lines that may contain empty
# lines, closed by "--END COMMAND--" and then the empty line. Asterisk 22 no longer sends this
# (it uses one "Output:" header per line), but a reply in that shape must not be cut in pieces.
_FOLLOWS_START = re.compile(rb"\A\s*Response:[ \t]*Follows[ \t]*\r?\n", re.IGNORECASE)
_FOLLOWS_END = re.compile(rb"--END COMMAND--[ \t]*\r?\n\r?\n")
_END_COMMAND = "--END COMMAND--"
# Re-scan this many bytes of an incomplete buffer: longer than any terminator pattern above, so a
# terminator split across feeds is still found, while byte-by-byte feeding stays linear.
_RESCAN = 32


class AmiProtocolError(Exception):
    """The peer broke the AMI framing; the connection should be dropped."""

    error_id: ClassVar[str] = "ami-protocol-error"


class AmiDecoder:
    """Incremental AMI decoder for one connection: ``feed(bytes) -> list[Message]``.

    After an ``AmiProtocolError`` the decoder refuses further input: the stream position is lost.
    """

    def __init__(self, *, max_buffer: int = DEFAULT_MAX_BUFFER, expect_banner: bool = True) -> None:
        self.max_buffer = max_buffer
        self.banner: str | None = None
        # Header lines without a colon, over the connection (counted as messages are read).
        self.malformed_lines = 0
        self.invalid_utf8 = 0  # messages that needed U+FFFD replacement
        # Messages dropped whole for a NUL byte: Asterisk writes C strings, so a NUL means a forged or
        # corrupt frame, and no value holding one may reach the database (PostgreSQL refuses it).
        self.dropped_nul = 0
        self._buf = bytearray()
        self._scan = 0  # where to resume searching for a terminator
        self._banner_pending = expect_banner
        self._failed = False
        self._nul_buffered = False

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete message."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Message]:
        if self._failed:
            raise AmiProtocolError("decoder already failed; reconnect")
        # One scan per read, not one per message: only while a NUL may be buffered is each checked.
        self._nul_buffered = self._nul_buffered or 0 in data
        self._buf += data
        out: list[Message] = []
        if self._banner_pending:
            self._take_banner()
        if not self._banner_pending:
            while (msg_end := self._find_end()) is not None:
                body_end, consumed = msg_end
                raw = bytes(self._buf[:body_end])
                del self._buf[:consumed]
                self._scan = 0
                msg = self._decode(raw)
                if msg is not None:
                    out.append(msg)
            self._scan = max(0, len(self._buf) - _RESCAN)
            self._nul_buffered = self._nul_buffered and 0 in self._buf
        if len(self._buf) > self.max_buffer:
            self._failed = True
            self._buf.clear()
            raise AmiProtocolError(f"no AMI message end within {self.max_buffer} bytes")
        return out

    def _take_banner(self) -> None:
        # The banner is the only line not followed by an empty line. It is recognised as a first
        # line without a colon; if the stream starts with a header instead, there is no banner.
        while self._banner_pending:
            nl = self._buf.find(b"\n")
            if nl < 0:
                return
            line = bytes(self._buf[:nl]).rstrip(b"\r")
            if not line.strip():
                del self._buf[: nl + 1]  # stray empty line before the banner
                continue
            if b":" not in line:
                self.banner = line.decode("utf-8", errors="replace")
                del self._buf[: nl + 1]
            self._banner_pending = False

    def _find_end(self) -> tuple[int, int] | None:
        """(end of body, bytes to consume) of the first complete message, or None."""
        if _FOLLOWS_START.match(self._buf):
            m = _FOLLOWS_END.search(self._buf, max(0, self._scan - _RESCAN))
            if m is None:
                return None
            return m.start() + len(_END_COMMAND), m.end()
        m = _MESSAGE_END.search(self._buf, self._scan)
        if m is None:
            return None
        return m.start(), m.end()

    def _decode(self, raw: bytes) -> Message | None:
        if self._nul_buffered and 0 in raw:
            self.dropped_nul += 1
            return None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            # The message is complete, so these bytes are genuinely invalid (not a split read).
            self.invalid_utf8 += 1
            text = raw.decode("utf-8", errors="replace")
        if text.endswith("\r"):
            text = text[:-1]
        if text and is_plain(text):
            return Message.lazy(text, self)  # split into headers when first read
        msg = parse_text(text)
        self.malformed_lines += len(msg.malformed)
        if not msg.headers and not msg.malformed:
            return None  # stray blank lines between messages
        return msg


def _check_token(what: str, s: str) -> None:
    if not isinstance(s, str):
        raise TypeError(f"AMI {what} must be str, got {type(s).__name__}")
    if "\r" in s or "\n" in s:
        # A CR/LF would let the caller inject extra headers or a whole extra action.
        raise ValueError(f"AMI {what} must not contain CR or LF: {s!r}")


def encode_action(
    name: str,
    headers: Sequence[tuple[str, str]] | Mapping[str, str] = (),
    action_id: str | None = None,
) -> bytes:
    """Encode one action: ``Action``, then ``ActionID`` (if given), then ``headers`` in order.

    A sequence of pairs may repeat a name (Originate takes several ``Variable:`` headers).
    """
    _check_token("action name", name)
    if not name.strip():
        raise ValueError("AMI action name must not be empty")
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    lines = [f"Action: {name}"]
    if action_id is not None:
        _check_token("ActionID", action_id)
        lines.append(f"ActionID: {action_id}")
    for key, value in pairs:
        _check_token("header name", key)
        _check_token(f"value of {key}", value)
        if not key or key != key.strip() or ":" in key:
            raise ValueError(f"invalid AMI header name: {key!r}")
        if norm_name(key) == "action" or (action_id is not None and norm_name(key) == "actionid"):
            raise ValueError(f"header {key!r} conflicts with the action name or action_id argument")
        lines.append(f"{key}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
