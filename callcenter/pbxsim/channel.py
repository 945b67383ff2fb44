"""Channel state, ids and the clock of the simulated PBX."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

Clock = Callable[[], float]

UNKNOWN = "<unknown>"  # what AMI shows for an empty caller or connected line (manager_channels.c)
STATE_DESC = {0: "Down", 4: "Ring", 5: "Ringing", 6: "Up", 7: "Busy"}


def format_time(ts: float) -> str:
    """Cdr time format (``2026-11-23 12:02:48``), in UTC so tests do not depend on the host zone."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


def format_tv(ts: float) -> str:
    """Security event time format (``2026-11-23T12:02:47.113+0000``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}+0000"


@dataclass
class Channel:
    name: str
    uniqueid: str
    linkedid: str
    # "" = no caller ID. Asterisk shows it as "<unknown>" in AMI and "unknown" in the AGI header; a
    # withheld SIP caller is the number "anonymous" with the name "Anonymous" (From sip:anonymous@…).
    caller_num: str = ""
    caller_name: str = ""
    context: str = "default"
    exten: str = "s"
    priority: int = 1
    state: int = 0
    created: float = 0.0
    answered: float | None = None
    application: str = ""
    app_data: str = ""
    variables: dict[str, str] = field(default_factory=dict)
    account_code: str = ""
    connected_num: str = "<unknown>"  # the other party, once a dial or a bridge says who it is
    connected_name: str = "<unknown>"

    def block(self, prefix: str = "") -> list[tuple[str, str]]:
        """The channel snapshot every channel event carries, in Asterisk's order."""
        p = prefix
        return [
            (f"{p}Channel", self.name),
            (f"{p}ChannelState", str(self.state)),
            (f"{p}ChannelStateDesc", STATE_DESC.get(self.state, "Unknown")),
            (f"{p}CallerIDNum", self.caller_num or UNKNOWN),
            (f"{p}CallerIDName", self.caller_name or UNKNOWN),
            (f"{p}ConnectedLineNum", self.connected_num or UNKNOWN),
            (f"{p}ConnectedLineName", self.connected_name or UNKNOWN),
            (f"{p}Language", "en"),
            (f"{p}AccountCode", self.account_code),
            (f"{p}Context", self.context),
            (f"{p}Exten", self.exten),
            (f"{p}Priority", str(self.priority)),
            (f"{p}Uniqueid", self.uniqueid),
            (f"{p}Linkedid", self.linkedid),
        ]


class Ids:
    """Uniqueids like ``1732350000.12`` (clock seconds + global counter) and channel suffixes."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._uid = itertools.count()
        self._chan = itertools.count(1)

    def uniqueid(self) -> str:
        return f"{int(self.clock())}.{next(self._uid)}"

    def channel_name(self, base: str) -> str:
        """``PJSIP/1001`` -> ``PJSIP/1001-00000001``; ``Local/x@ctx`` -> ``Local/x@ctx-00000001;1``."""
        name = f"{base}-{next(self._chan):08x}"
        return name + ";1" if base.startswith("Local/") else name

    def new_channel(self, base: str, *, linkedid: str | None = None, uniqueid: str | None = None,
                    name: str | None = None, **kw: object) -> Channel:
        """``uniqueid``: an Originate's ChannelId (Asterisk takes it as the channel's Uniqueid)."""
        uid = uniqueid or self.uniqueid()
        return Channel(name or self.channel_name(base), uid, linkedid or uid, created=self.clock(), **kw)  # type: ignore[arg-type]
