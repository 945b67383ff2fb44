"""AMI wire codec: bytes <-> messages, with no I/O.

Asterisk (22.x, AMI 11.0.0) sends one banner line ``Asterisk Call Manager/11.0.0\\r\\n`` and then
messages made of ``Name: value`` lines closed by an empty line. The decoder works on BYTES and only
turns a message into text once all of its bytes are there, so a UTF-8 character split between two
TCP reads is never damaged (panoramisk decodes each read on its own and mangles such characters).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import ClassVar

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
_FOLLOWS_PREFIX = re.compile(r"\s*Response:[ \t]*Follows", re.IGNORECASE)
# Re-scan this many bytes of an incomplete buffer: longer than any terminator pattern above, so a
# terminator split across feeds is still found, while byte-by-byte feeding stays linear.
_RESCAN = 32
# A header name as Asterisk writes it; used to tell headers from raw output in "Follows" replies.
_HEADER_NAME = re.compile(r"[A-Za-z0-9_\-]+")


class AmiProtocolError(Exception):
    """The peer broke the AMI framing; the connection should be dropped."""

    error_id: ClassVar[str] = "ami-protocol-error"


def _norm(name: str) -> str:
    # Asterisk spells the same field differently per event type (Uniqueid/UniqueID,
    # CallerIDNum/CallerIDnum), so lookups compare lower-cased names.
    return name.strip().lower()


_KINDS = frozenset({"event", "response", "action"})


class Message:
    """One AMI message: header pairs in wire order, duplicates kept (e.g. two ``Channel:``).

    Messages from the decoder are parsed lazily: the kind and name come from the first line, and
    the header lines are split only when a header is read. A PBX sends many events a consumer
    drops by name (CEL, VarSet, DeviceStateChange...); those never pay for their parse.
    """

    __slots__ = ("_raw", "_headers", "_malformed", "_first", "_kind", "_name", "_stats")

    def __init__(self, headers: tuple[tuple[str, str], ...] = (), malformed: tuple[str, ...] = ()) -> None:
        self._raw: str | None = None
        self._stats: AmiDecoder | None = None
        self._set(tuple(headers), tuple(malformed))

    @classmethod
    def lazy(cls, raw: str, stats: AmiDecoder | None = None) -> Message:
        """A message from its text (CRLF lines, no terminator), parsed on first header access;
        its malformed lines are then added to ``stats.malformed_lines``."""
        msg = cls.__new__(cls)
        msg._raw, msg._stats = raw, stats
        msg._headers = None
        first, _, _ = raw.partition("\r\n")
        name, sep, value = first.partition(": ")
        if sep and name.lower() in _KINDS:
            msg._kind, msg._name = name.lower(), value
        else:
            msg._parse()
        return msg

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]] | Mapping[str, str]) -> Message:
        items = pairs.items() if isinstance(pairs, Mapping) else pairs
        return cls(tuple((str(k), str(v)) for k, v in items))

    def _set(self, headers: tuple[tuple[str, str], ...], malformed: tuple[str, ...]) -> None:
        self._headers, self._malformed = headers, malformed
        # Reversed, so the FIRST value of a repeated name wins; built in C (zip/map).
        rev = headers[::-1]
        self._first = dict(zip(map(str.lower, [k for k, _ in rev]), [v for _, v in rev], strict=True))
        kind = next((k for k in (k.lower() for k, _ in headers) if k in _KINDS), "other")
        self._kind, self._name = kind, (None if kind == "other" else self._first[kind])

    def _parse(self) -> None:
        headers, malformed = _split(self._raw or "")
        self._set(headers, malformed)
        self._raw = None
        if self._stats is not None and malformed:
            self._stats.malformed_lines += len(malformed)
        self._stats = None

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        if self._headers is None:
            self._parse()
        return self._headers  # type: ignore[return-value]

    @property
    def malformed(self) -> tuple[str, ...]:
        if self._headers is None:
            self._parse()
        return self._malformed

    def get(self, name: str, default: str | None = None) -> str | None:
        """First value of ``name`` (case-insensitive), else ``default``."""
        if self._headers is None:
            self._parse()
        return self._first.get(name.lower(), default)

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name`` (case-insensitive), in wire order."""
        key = _norm(name)
        return [v for k, v in self.headers if _norm(k) == key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return (self.headers, self.malformed) == (other.headers, other.malformed)

    def __hash__(self) -> int:
        return hash((self.headers, self.malformed))

    def __repr__(self) -> str:
        return f"Message(headers={self.headers!r}, malformed={self.malformed!r})"

    @property
    def kind(self) -> str:
        """"event", "response", "action", or "other".

        Decided by the first Event/Response/Action header: events may carry an ActionID
        (OriginateResponse, list items, UserEvent), so ActionID alone says nothing about the kind.
        """
        return self._kind

    @property
    def name(self) -> str | None:
        """The Event/Response/Action value that gives the message its kind."""
        return self._name

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    @property
    def output(self) -> list[str]:
        """Command output lines (``Output:`` headers, or the raw lines of a legacy Follows reply)."""
        return self.get_all("Output")


def _plain(text: str) -> bool:
    """CRLF line ends only, and not a legacy Follows reply."""
    return text.count("\r\n") == text.count("\n") == text.count("\r") and not _FOLLOWS_PREFIX.match(text)


Split = tuple[tuple[tuple[str, str], ...], tuple[str, ...]]


def _parse(text: str) -> Message:
    return Message(*_split(text))


def _split(text: str) -> Split:
    """(headers, malformed lines) of one message's text."""
    if text.endswith("\r"):  # the CR of the last line; the message end matched from its LF
        text = text[:-1]
    return _split_plain(text.split("\r\n")) if _plain(text) else _split_general(text)


def _split_plain(lines: list[str]) -> Split:
    """The common case: CRLF lines, no legacy Follows body. The comprehension handles messages
    whose every line is a plain "Name: value"; the loop below only runs for odd ones."""
    split = [line.partition(": ") for line in lines]
    pairs = tuple([(n, v) for n, sep, v in split if sep and n and n[0] != " " and ":" not in n])
    if len(pairs) == len(lines):
        return pairs, ()
    headers: list[tuple[str, str]] = []
    malformed: list[str] = []
    for line in lines:
        name, sep, value = line.partition(":")
        if sep and name:
            if name[-1:] == " " or name[:1] == " ":
                name = name.strip()
                if not name:
                    malformed.append(line)
                    continue
            headers.append((name, value[1:] if value[:1] == " " else value))
        elif line.strip():
            malformed.append(line)
    return tuple(headers), tuple(malformed)


def _split_general(text: str) -> Split:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    headers: list[tuple[str, str]] = []
    malformed: list[str] = []
    follows = False
    raw_output = False
    for line in lines:
        if raw_output:
            # Inside a legacy Follows body every line is output, colon or not.
            if line.strip() != _END_COMMAND:
                headers.append(("Output", line))
            continue
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        name = name.strip()
        if follows and (not sep or not _HEADER_NAME.fullmatch(name)):
            raw_output = True
            if line.strip() != _END_COMMAND:
                headers.append(("Output", line))
            continue
        if not sep or not name:
            malformed.append(line)
            continue
        # Asterisk writes "Name: value"; drop exactly that one space so that indentation in
        # values (CLI output) survives.
        if value.startswith(" "):
            value = value[1:]
        headers.append((name, value))
        if len(headers) == 1 and _norm(name) == "response" and value.strip().lower() == "follows":
            follows = True
    return tuple(headers), tuple(malformed)


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
        self._buf = bytearray()
        self._scan = 0  # where to resume searching for a terminator
        self._banner_pending = expect_banner
        self._failed = False

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a complete message."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Message]:
        if self._failed:
            raise AmiProtocolError("decoder already failed; reconnect")
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
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            # The message is complete, so these bytes are genuinely invalid (not a split read).
            self.invalid_utf8 += 1
            text = raw.decode("utf-8", errors="replace")
        if text.endswith("\r"):
            text = text[:-1]
        if text and _plain(text):
            return Message.lazy(text, self)  # split into headers when first read
        msg = _parse(text)
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
        if _norm(key) == "action" or (action_id is not None and _norm(key) == "actionid"):
            raise ValueError(f"header {key!r} conflicts with the action name or action_id argument")
        lines.append(f"{key}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
