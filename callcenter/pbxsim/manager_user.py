"""What one AMI manager user is sent: its read classes and event filters (manager.conf), applied
as Asterisk 22's main/manager.c does.

An event reaches a session only if the user reads the event's class (``process_events``:
``(readperm & category) == category``) and the session's filters let it through
(``should_send_event``: with no filters everything passes; with only include filters an event
must match one; with only exclude filters it must match none; with both it must match an include
and no exclude). A filter (``manager_add_filter``) is legacy (``eventfilter = <regex>``, a leading
``!`` excludes) or advanced (``eventfilter(action(...),name(...),header(...),method(...)) =
<pattern>``); it matches the whole event text, or the value of each line starting with its header.

Pure: the configuration comes in as text, events as header pairs. Regular expressions are
Python's, close enough to the POSIX extended ones Asterisk compiles for the filters we write.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from callcenter.pbxsim.event_classes import event_class

Pairs = Sequence[tuple[str, str]]
# main/manager.c perms[]: the class names a read= / write= line may list ("all" is every one).
CLASSES = frozenset({"system", "call", "log", "verbose", "command", "agent", "user", "config", "dtmf",
                     "reporting", "cdr", "dialplan", "originate", "agi", "cc", "aoc", "test", "security",
                     "message"})
_METHODS = frozenset({"regex", "exact", "starts_with", "ends_with", "contains", "none"})
_OPTION = re.compile(r"(action|name|header|method)\(\s*([^()]*?)\s*\)")


class ManagerConfError(ValueError):
    """A manager.conf line Asterisk would refuse (it logs and skips it; we say so)."""


@dataclass(frozen=True)
class EventFilter:
    exclude: bool
    pattern: str = ""
    method: str = "regex"
    name: str | None = None  # only events of this name
    header: str | None = None  # "Name:" - match the value of the lines starting with it

    def matches(self, event: Pairs) -> bool:
        if self.name is not None and _name(event) != self.name:
            return False
        if self.header is None:
            return self._match(event_text(event))
        for line in event_text(event).split("\r\n"):
            if line.startswith(self.header) and (value := line[len(self.header):].lstrip(" \t")):
                if self._match(value):
                    return True
        return False

    def _match(self, data: str) -> bool:
        p, m = self.pattern, self.method
        if m == "regex":
            return re.search(p, data) is not None
        return {"exact": data == p, "starts_with": data.startswith(p), "ends_with": data.endswith(p),
                "contains": p in data, "none": True}[m]


@dataclass(frozen=True)
class ManagerUser:
    read: frozenset[str]
    filters: tuple[EventFilter, ...] = ()

    def reads(self, event: Pairs) -> bool:
        """Whether a session of this user is sent ``event`` (an ``Event:`` message)."""
        return event_class(_name(event)) in self.read and self.passes_filters(event)

    def passes_filters(self, event: Pairs) -> bool:
        include = [f for f in self.filters if not f.exclude]
        exclude = [f for f in self.filters if f.exclude]
        if include and not any(f.matches(event) for f in include):
            return False
        return not any(f.matches(event) for f in exclude)


READ_ALL = ManagerUser(read=CLASSES)
# The app's user in the shipped docker/asterisk/conf/manager.conf ([zhitong]); the simulator's
# default, so the demo and the tests get what a deployment gets (tests/test_pbxsim_manager.py
# checks that this is what the shipped file says).
SHIPPED = ManagerUser(
    read=frozenset({"system", "call", "agent", "user", "dtmf", "cdr", "agi"}),
    filters=tuple(EventFilter(exclude=True, method="none", name=name)
                  for name in ("VarSet", "Newexten", "RTCPSent", "RTCPReceived", "DeviceStateChange")),
)


def event_text(event: Pairs) -> str:
    return "".join(f"{k}: {v}\r\n" for k, v in event)


def _name(event: Pairs) -> str:
    return next((v for k, v in event if k == "Event"), "")


def read_classes(value: str) -> frozenset[str]:
    """``read = system,call,...`` (main/manager.c get_perm: unknown names are ignored)."""
    names = {n.strip().lower() for n in value.split(",")}
    return CLASSES if "all" in names else frozenset(names & CLASSES)


def parse_filter(criteria: str, pattern: str) -> EventFilter:
    exclude = pattern.startswith("!")
    pattern = pattern[1:] if exclude else pattern
    _, paren, options = criteria.partition("(")
    if not paren:
        if not pattern:
            raise ManagerConfError(f"{criteria} = : a legacy filter needs a pattern")
        return EventFilter(exclude=exclude, pattern=pattern)
    found = dict(_OPTION.findall("(" + options))
    leftover = _OPTION.sub("", "(" + options).strip("(), \t")
    if leftover or not found:
        raise ManagerConfError(f"{criteria}: options not understood: {leftover or options!r}")
    if "action" in found:  # it wins over a leading "!"
        if found["action"] not in ("include", "exclude"):
            raise ManagerConfError(f"{criteria}: action must be include or exclude")
        exclude = found["action"] == "exclude"
    method = found.get("method", "none" if not pattern else "regex")
    if method not in _METHODS or (method == "none") == bool(pattern):
        raise ManagerConfError(f"{criteria} = {pattern}: method {method!r} does not fit the pattern")
    header = found.get("header")
    if header is not None and not header.endswith(":"):
        header += ":"
    if method == "none" and "name" not in found and header is None:
        raise ManagerConfError(f"{criteria}: no name, header or pattern")
    return EventFilter(exclude=exclude, pattern=pattern, method=method, name=found.get("name"), header=header)


def parse_manager_conf(text: str, username: str) -> ManagerUser:
    """The ``[username]`` section's read classes and event filters."""
    read: frozenset[str] = frozenset()
    filters: list[EventFilter] = []
    for key, value in _section(text.splitlines(), username):
        if key == "read":
            read = read_classes(value)
        elif key.startswith("eventfilter"):
            filters.append(parse_filter(key, value))
    return ManagerUser(read=read, filters=tuple(filters))


def _section(lines: Iterable[str], name: str) -> Iterable[tuple[str, str]]:
    inside = False
    for raw in lines:
        line = raw.split(";", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and "]" in line:
            inside = line[1:line.index("]")].strip() == name
            continue
        if inside and "=" in line:
            key, _, value = line.partition("=")
            yield key.strip().lstrip(">").strip(), value.lstrip(">").strip()
