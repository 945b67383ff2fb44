"""FastAGI wire codec: pure functions on bytes/str, checked against real Asterisk 22 captures.

Wire facts this module relies on (see ../shared/fixtures/asterisk/README.md):

* every line ends in a bare ``\\n``; the ``agi_*`` header block ends with an empty line;
* replies are ``200 result=<int> [(<data>)] [key=value ...]``, ``510 ...``, ``511 ...``, a
  multi-line ``520-`` ... ``520 End of proper usage.`` group, and a bare ``HANGUP`` line that
  Asterisk writes (after a hangup) just before the reply to the script's next command;
* Asterisk splits a command line with ``parse_args`` in res_agi.c: blanks separate words, a
  double quote toggles quoting (and starts a word, so ``""`` is an empty argument), and a
  backslash makes the next character literal (so ``\\\\`` and ``\\"`` must be escaped).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

# Asterisk keeps at most MAX_ARGS-1 (127) words per command line and silently truncates the rest.
MAX_WORDS = 127
# A peer that never sends the blank line / newline must not make us buffer without bound.
MAX_HEADER_BLOCK = 64 * 1024
MAX_LINE = 64 * 1024
MAX_USAGE = 256 * 1024
# GET DATA returns at most 1024 digits (res_agi.c reads into a 1024-byte buffer); a longer
# "result=" is not from Asterisk, and int() of >4300 digits would raise a bare ValueError.
MAX_RESULT_DIGITS = 1024

# Multi-word AGI command names of Asterisk 22 (res_agi.c), used by parse_command to know
# where the name stops and the arguments begin; single-word names need no entry.
KNOWN_COMMANDS: frozenset[tuple[str, ...]] = frozenset(
    tuple(name.split())
    for name in (
        "ASYNCAGI BREAK", "CHANNEL STATUS", "CONTROL STREAM FILE", "DATABASE DEL", "DATABASE DELTREE",
        "DATABASE GET", "DATABASE PUT", "GET DATA", "GET FULL VARIABLE", "GET OPTION", "GET VARIABLE",
        "RECEIVE CHAR", "RECEIVE TEXT", "RECORD FILE", "SAY ALPHA", "SAY DATE", "SAY DATETIME",
        "SAY DIGITS", "SAY NUMBER", "SAY PHONETIC", "SAY TIME", "SEND IMAGE", "SEND TEXT",
        "SET AUTOHANGUP", "SET CALLERID", "SET CONTEXT", "SET EXTENSION", "SET MUSIC", "SET PRIORITY",
        "SET VARIABLE", "SPEECH ACTIVATE GRAMMAR", "SPEECH CREATE", "SPEECH DEACTIVATE GRAMMAR",
        "SPEECH DESTROY", "SPEECH LOAD GRAMMAR", "SPEECH RECOGNIZE", "SPEECH SET",
        "SPEECH UNLOAD GRAMMAR", "STREAM FILE", "TDD MODE", "WAIT FOR DIGIT",
    )
)

_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?: [A-Za-z][A-Za-z0-9_]*)*")
_HEADER_KEY_RE = re.compile(r"[A-Za-z0-9_]+")
_CODE_RE = re.compile(r"(\d{3})(?:([ -])(.*))?")
# GET DATA answers with the digits themselves ("*", "#" included) or nothing at all on a
# timeout ("200 result= (timeout)"), so the result is not always an integer.
_RESULT_RE = re.compile(r"result=([-0-9*#]*)(.*)")
# Greedy data: a value may itself contain ")" (GET VARIABLE of "a (b)"), so data runs to the last
# ")" that is followed only by key=value pairs such as endpos=11234.
_DATA_RE = re.compile(r"\((?P<data>.*)\)(?P<tail>(?:\s+[A-Za-z_]+=\S*)*)\s*")
_EXTRA_RE = re.compile(r"([A-Za-z_]+)=(\S*)")
# Asterisk's own uniqueids are "<epoch>.<n>", after "<systemname>-" if one is set; an AMI client
# may choose one (Originate ChannelId: ours are "cb-<hex>"). A uniqueid names the message
# recording and keys the call record (64 characters there), so a "/", a blank or a control
# character in it is refused rather than passed on.
_CHANNEL_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+-]{0,63}")


class AgiProtocolError(Exception):
    """Asterisk (or whoever connected) sent something this codec cannot use; drop the connection."""

    error_id: ClassVar[str] = "agi-protocol-error"

    def __init__(self, message: str, *, items: Sequence[AgiItem] = ()) -> None:
        super().__init__(message)
        # Replies completed in the same ReplyReader.feed() call before the bad line, so none is lost.
        self.items: tuple[AgiItem, ...] = tuple(items)


def is_channel_id(value: str) -> bool:
    """True for a uniqueid/linkedid a real Asterisk can send (see _CHANNEL_ID_RE)."""
    return _CHANNEL_ID_RE.fullmatch(value) is not None


def _decode(raw: bytes) -> str:
    # Asterisk is byte-transparent; channel data (caller names, variables) is UTF-8 in practice.
    return raw.decode("utf-8", errors="replace")


def _split_line(raw: bytes) -> str:
    # Asterisk writes bare "\n"; a stray "\r" (proxies, hand-made tests) is tolerated.
    return _decode(raw.removesuffix(b"\r"))


# --------------------------------------------------------------------------- header block


@dataclass(frozen=True, slots=True)
class AgiRequest:
    """The ``agi_*`` block Asterisk sends first; ``headers`` keys have the ``agi_`` prefix removed."""

    headers: dict[str, str]
    network_script: str
    args: list[str]
    uniqueid: str
    channel: str
    callerid: str
    extension: str
    context: str
    ignored_lines: tuple[str, ...] = field(default=())
    # Why this block cannot be served although it names a script (duplicated or missing fields,
    # NUL bytes, an impossible uniqueid); the server sends such a channel to the fallback.
    problems: tuple[str, ...] = field(default=())


def _script_from_request(request: str) -> str:
    # Fallback for a block without agi_network_script: agi://host:port/<script>?params.
    _, sep, rest = request.partition("://")
    path = rest.partition("/")[2] if sep else ""
    return path.partition("?")[0]


def parse_headers(block: bytes) -> AgiRequest:
    """Parse the header block (stops at the first blank line; the blank line itself is optional)."""
    headers: dict[str, str] = {}
    ignored: list[str] = []
    problems: list[str] = []
    for raw in block.split(b"\n"):
        line = _split_line(raw)
        if line == "":
            break
        key, sep, value = line.partition(":")
        if not sep or not _HEADER_KEY_RE.fullmatch(key):
            ignored.append(line)
            continue
        name = key.removeprefix("agi_")
        if name in headers:
            # Asterisk writes each variable once; two values (two uniqueids?) mean a forged block.
            problems.append(f"duplicate {key}")
            continue
        # "agi_accountcode: " has an empty value: drop exactly the one separator space, keep the rest.
        headers[name] = value.removeprefix(" ")
    script = headers.get("network_script") or _script_from_request(headers.get("request", ""))
    if not script:
        # Without a script name the server cannot route the call: this is not a usable AGI request.
        raise AgiProtocolError(f"no agi_network_script/agi_request in header block: {block[:80]!r}")
    args: list[str] = []
    while f"arg_{len(args) + 1}" in headers:
        args.append(headers[f"arg_{len(args) + 1}"])
    if 0 in block:
        problems.append("NUL byte in the block")  # Asterisk writes C strings: never from a real channel
    if not is_channel_id(headers.get("uniqueid", "")):
        problems.append("missing or invalid agi_uniqueid")
    return AgiRequest(
        headers=headers,
        network_script=script,
        args=args,
        uniqueid=headers.get("uniqueid", ""),
        channel=headers.get("channel", ""),
        callerid=headers.get("callerid", ""),
        extension=headers.get("extension", ""),
        context=headers.get("context", ""),
        ignored_lines=tuple(ignored),
        problems=tuple(problems),
    )


class HeaderReader:
    """Accumulates reads until the blank line; ``remainder`` holds the bytes that followed it."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._scan = 0  # lines before this offset are known to be non-empty
        self.request: AgiRequest | None = None
        self.remainder = b""

    def feed(self, data: bytes) -> AgiRequest | None:
        if self.request is not None:
            raise RuntimeError("header block already complete; pass further bytes to a ReplyReader")
        self._buf += data
        while (nl := self._buf.find(b"\n", self._scan)) != -1:
            if self._buf[self._scan : nl].removesuffix(b"\r") == b"":
                self.remainder = bytes(self._buf[nl + 1 :])
                self.request = parse_headers(bytes(self._buf[: self._scan]))
                self._buf.clear()
                return self.request
            self._scan = nl + 1
        if len(self._buf) > MAX_HEADER_BLOCK:
            raise AgiProtocolError(f"header block longer than {MAX_HEADER_BLOCK} bytes without a blank line")
        return None


# --------------------------------------------------------------------------- commands


class Quoted(str):
    """A string argument that is double-quoted on the wire even when it would not need it.

    parse_command returns these for arguments that were quoted, so formatting its result gives
    back the same bytes (the lab sent ``SET VARIABLE IVR_CHOICE "42"``). Compares like ``str``.
    """

    __slots__ = ()


def _quote(arg: str) -> str:
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_arg(arg: str | int) -> str:
    if isinstance(arg, bool) or not isinstance(arg, str | int):
        raise TypeError(f"AGI arguments are str or int, not {type(arg).__name__}")
    text = str(arg)
    if any(c in text for c in "\n\r\0"):
        # A newline would end the command early and let the rest run as a second command.
        raise ValueError(f"AGI argument contains a line break or NUL: {text!r}")
    if isinstance(arg, Quoted) or text == "" or any(c in text for c in ' \t"\\'):
        return _quote(text)
    return text


def format_command(name: str, *args: str | int) -> bytes:
    """One newline-terminated AGI command, e.g. ``format_command("STREAM FILE", "beep", "")``."""
    if not _NAME_RE.fullmatch(name):
        raise ValueError(f"invalid AGI command name: {name!r}")
    if len(name.split()) + len(args) > MAX_WORDS:
        raise ValueError(f"more than {MAX_WORDS} words: Asterisk would silently truncate the command")
    return (" ".join([name, *(format_arg(a) for a in args)]) + "\n").encode("utf-8")


def _tokenize(line: str) -> list[tuple[str, bool]]:
    """Asterisk's parse_args, also reporting whether each word contained quotes."""
    words: list[tuple[str, bool]] = []
    cur: list[str] = []
    in_word = quoted = escaped = was_quoted = False
    for ch in line:
        if ch == '"' and not escaped:
            quoted = not quoted
            if not in_word:  # an opening quote starts a word, which may stay empty ("")
                in_word, cur, was_quoted = True, [], False
            was_quoted = True
        elif ch in " \t" and not quoted and not escaped:
            if in_word:
                words.append(("".join(cur), was_quoted))
            in_word = False
        elif ch == "\\" and not escaped:
            escaped = True
        else:
            if not in_word:
                in_word, cur, was_quoted = True, [], False
            cur.append(ch)
            escaped = False
    if quoted or escaped:
        # Asterisk would tolerate these, but format_command never produces them: a bug upstream.
        raise AgiProtocolError(f"unterminated quote or escape in command line: {line!r}")
    if in_word:
        words.append(("".join(cur), was_quoted))
    return words


def parse_command(line: str | bytes) -> tuple[str, list[str]]:
    """Inverse of format_command: ``(name, args)``; quoted args come back as :class:`Quoted`."""
    text = _split_line(line.removesuffix(b"\n")) if isinstance(line, bytes) else line.removesuffix("\n")
    words = _tokenize(text)
    if not words or words[0][1]:
        raise AgiProtocolError(f"no command name in line: {text!r}")
    # The name is the longest known multi-word command at the front (Asterisk matches words
    # case-insensitively); unknown commands such as NOSUCHCOMMAND keep just their first word.
    size = 1
    for n in range(len(words), 1, -1):
        head = words[:n]
        if not any(q for _, q in head) and tuple(w.upper() for w, _ in head) in KNOWN_COMMANDS:
            size = n
            break
    name = " ".join(w for w, _ in words[:size])
    return name, [Quoted(w) if q else w for w, q in words[size:]]


# --------------------------------------------------------------------------- replies


@dataclass(frozen=True, slots=True)
class AgiReply:
    """One reply. ``result`` is set for 200 only; for 520 ``data`` is the usage text."""

    code: int
    result: int | None = None
    data: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
    text: str = ""  # the message after the code, e.g. "Invalid or unknown command"

    @property
    def ok(self) -> bool:
        return self.code == 200


@dataclass(frozen=True, slots=True)
class HangupNotice:
    """The bare ``HANGUP`` line: the channel is gone; the reply to the pending command still follows."""


AgiItem = AgiReply | HangupNotice


def _parse_200(rest: str, line: str) -> AgiReply:
    m = _RESULT_RE.fullmatch(rest)
    if m is None:
        raise AgiProtocolError(f"200 reply without result=<int>: {line!r}")
    raw_result, tail = m.group(1), m.group(2).strip()
    if len(raw_result) > MAX_RESULT_DIGITS:
        raise AgiProtocolError(f"200 reply with a {len(raw_result)}-character result")
    result = int(raw_result) if re.fullmatch(r"-?\d+", raw_result) else None
    data: str | None = None
    if tail.startswith("("):
        dm = _DATA_RE.fullmatch(tail)
        if dm is None:
            raise AgiProtocolError(f"unbalanced (data) in reply: {line!r}")
        data, tail = dm.group("data"), dm.group("tail")
    extra: dict[str, str] = {}
    for word in tail.split():
        em = _EXTRA_RE.fullmatch(word)
        if em is None:
            raise AgiProtocolError(f"unexpected text in 200 reply: {line!r}")
        extra[em.group(1)] = em.group(2)
    if result is None:
        extra["result"] = raw_result  # e.g. "" (GET DATA timeout) or "12*#"
    return AgiReply(code=200, result=result, data=data, extra=extra, text=rest)


def parse_reply(lines: str | Sequence[str]) -> AgiItem:
    """Parse one complete item: a single line, or the lines of a 520 usage group (first to last)."""
    group = [lines] if isinstance(lines, str) else list(lines)
    if not group:
        raise AgiProtocolError("empty reply")
    first = group[0]
    if first == "HANGUP" and len(group) == 1:
        return HangupNotice()
    m = _CODE_RE.fullmatch(first)
    if m is None:
        raise AgiProtocolError(f"not an AGI reply line: {first!r}")
    code, sep, rest = int(m.group(1)), m.group(2), m.group(3) or ""
    if sep == "-":
        # Only 520 is continued over several lines; it must close with a "520 " line.
        if code != 520 or len(group) < 2 or not group[-1].startswith("520 "):
            raise AgiProtocolError(f"unterminated or unknown multi-line reply: {first!r}")
        return AgiReply(code=520, data="\n".join(group[1:-1]), text=rest)
    if len(group) != 1:
        raise AgiProtocolError(f"single-line reply given {len(group)} lines: {first!r}")
    if code == 200:
        return _parse_200(rest, first)
    return AgiReply(code=code, text=rest)


class ReplyReader:
    """Incremental reply reader: ``feed(bytes) -> [AgiReply | HangupNotice, ...]`` in wire order.

    A malformed line raises AgiProtocolError (carrying the items completed before it in the same
    call); the bad line is dropped, so the reader can be used again if the caller wants to.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._usage: list[str] | None = None  # lines of an open 520- group
        self._usage_size = 0
        self._nul = False  # a NUL may be in the buffer

    def feed(self, data: bytes) -> list[AgiItem]:
        # Asterisk writes replies from C strings: a NUL is a forged or corrupt stream. One scan per
        # read; lines are checked one by one only while a NUL may be buffered.
        self._nul = self._nul or 0 in data
        self._buf += data
        items: list[AgiItem] = []
        while (nl := self._buf.find(b"\n")) != -1:
            raw = bytes(self._buf[:nl])
            del self._buf[: nl + 1]
            try:
                if self._nul and 0 in raw:
                    raise AgiProtocolError(f"NUL byte in reply line: {raw[:80]!r}")
                item = self._line(_split_line(raw))
            except AgiProtocolError as exc:
                raise AgiProtocolError(str(exc), items=items) from None
            if item is not None:
                items.append(item)
        self._nul = self._nul and 0 in self._buf
        if len(self._buf) > MAX_LINE:
            self._buf.clear()
            raise AgiProtocolError(f"reply line longer than {MAX_LINE} bytes", items=items)
        return items

    def _line(self, line: str) -> AgiItem | None:
        if self._usage is not None:
            self._usage.append(line)
            self._usage_size += len(line) + 1
            if line.startswith("520 "):
                group, self._usage = self._usage, None
                return parse_reply(group)
            if self._usage_size > MAX_USAGE:
                self._usage = None
                raise AgiProtocolError(f"520 usage text longer than {MAX_USAGE} bytes")
            return None
        if line.startswith("520-"):
            self._usage, self._usage_size = [line], len(line) + 1
            return None
        return parse_reply(line)

    @property
    def pending(self) -> bool:
        """True while a partial line or an open 520 group is buffered (e.g. at EOF: truncated)."""
        return bool(self._buf) or self._usage is not None
