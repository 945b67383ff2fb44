"""One AMI message and the parsing of its text (no framing, no I/O).

Header lines are split lazily: :meth:`Message.lazy` reads the kind and name from the first line,
and the rest only when a header is asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from callcenter.ami.codec import AmiDecoder

_END_COMMAND = "--END COMMAND--"
_FOLLOWS_PREFIX = re.compile(r"\s*Response:[ \t]*Follows", re.IGNORECASE)
# A header name as Asterisk writes it; used to tell headers from raw output in "Follows" replies.
_HEADER_NAME = re.compile(r"[A-Za-z0-9_\-]+")


def norm_name(name: str) -> str:
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
            msg._parse_now()
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

    def _parse_now(self) -> None:
        headers, malformed = _split(self._raw or "")
        self._set(headers, malformed)
        self._raw = None
        if self._stats is not None and malformed:
            self._stats.malformed_lines += len(malformed)
        self._stats = None

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        if self._headers is None:
            self._parse_now()
        return self._headers  # type: ignore[return-value]

    @property
    def malformed(self) -> tuple[str, ...]:
        if self._headers is None:
            self._parse_now()
        return self._malformed

    def get(self, name: str, default: str | None = None) -> str | None:
        """First value of ``name`` (case-insensitive), else ``default``."""
        if self._headers is None:
            self._parse_now()
        return self._first.get(name.lower(), default)

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name`` (case-insensitive), in wire order."""
        key = norm_name(name)
        return [v for k, v in self.headers if norm_name(k) == key]

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
    def size(self) -> int:
        """Characters of the message's header text, whether it was parsed yet or not."""
        if self._raw is not None:
            return len(self._raw)
        return sum(len(k) + len(v) + 4 for k, v in self.headers)

    @property
    def action_id(self) -> str | None:
        return self.get("ActionID")

    @property
    def output(self) -> list[str]:
        """Command output lines (``Output:`` headers, or the raw lines of a legacy Follows reply)."""
        return self.get_all("Output")


def is_plain(text: str) -> bool:
    """CRLF line ends only, and not a legacy Follows reply."""
    return text.count("\r\n") == text.count("\n") == text.count("\r") and not _FOLLOWS_PREFIX.match(text)


Split = tuple[tuple[tuple[str, str], ...], tuple[str, ...]]


def parse_text(text: str) -> Message:
    return Message(*_split(text))


def _split(text: str) -> Split:
    """(headers, malformed lines) of one message's text."""
    if text.endswith("\r"):  # the CR of the last line; the message end matched from its LF
        text = text[:-1]
    return _split_plain(text.split("\r\n")) if is_plain(text) else _split_general(text)


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
        if len(headers) == 1 and norm_name(name) == "response" and value.strip().lower() == "follows":
            follows = True
    return tuple(headers), tuple(malformed)
