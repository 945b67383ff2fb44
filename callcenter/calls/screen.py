"""What an AMI event must look like before the call tracker keeps anything of it (pure).

Asterisk writes channel ids of its own making (``<epoch>.<n>``, or an Originate ChannelId, whose
Local channel's second half is ``<ChannelId>;2``: main/core_unreal.c); an
event naming one that no channel can have (a "/", a blank, 200 characters) is forged or corrupt,
and its id would key a record the database refuses. A relevant event is a few hundred characters;
a bigger one is cut down to its first headers, each cut short, so that nothing it leaves in memory
(a parked event, a path, a name) is large.
"""

from __future__ import annotations

from collections.abc import Container

from callcenter.ami.codec import Message
from ivr.agi.codec import is_channel_id

MAX_EVENT_CHARS = 16 * 1024
MAX_HEADERS = 64
MAX_VALUE = 1024
_ID_FIELDS = ("Uniqueid", "Linkedid")


def problem(msg: Message, known: Container[str] = ()) -> str | None:
    """Why an event cannot be about a real channel, or None; ids in ``known`` passed already."""
    for name in _ID_FIELDS:
        value = msg.get(name)
        if value and value not in known and value != "<unknown>" and not is_channel_id(value.removesuffix(";2")):
            return f"impossible {name}"
    return None


def compact(msg: Message) -> Message:
    """An oversized event reduced to what any fact of a call can use."""
    return Message(tuple((k[:MAX_VALUE], v[:MAX_VALUE]) for k, v in msg.headers[:MAX_HEADERS]))
