"""AMI events of dialling and bridging (app_dial, app_queue, core_local, app_chanspy, res_musiconhold):
header names and order as Asterisk 22.10.1 sends them (tests/pbx/test_parity.py compares)."""

from __future__ import annotations

import uuid as _uuid
from dataclasses import dataclass, field

from callcenter.pbxsim.channel import Channel
from callcenter.pbxsim.events import Pairs, chan_event, event


@dataclass
class Bridge:
    """A basic two-party bridge (Queue's agent and caller, Dial's caller and callee)."""

    uniqueid: str = field(default_factory=lambda: str(_uuid.uuid4()))
    members: list[Channel] = field(default_factory=list)

    def block(self) -> list[tuple[str, str]]:
        return [("BridgeUniqueid", self.uniqueid), ("BridgeType", "basic"), ("BridgeTechnology", "simple_bridge"),
                ("BridgeCreator", "<unknown>"), ("BridgeName", "<unknown>"),
                ("BridgeNumChannels", str(len(self.members))), ("BridgeVideoSourceMode", "none")]


def _dial(name: str, caller: Channel | None, dest: Channel, *extra: tuple[str, str]) -> Pairs:
    """A Dial* event; ``caller`` None when nothing dialled (an Originate): only the Dest* block."""
    return event(name, [*(caller.block() if caller else []), *dest.block("Dest"), *extra])


def dial_begin(caller: Channel | None, dest: Channel, dial_string: str) -> Pairs:
    return _dial("DialBegin", caller, dest, ("DialString", dial_string))


def dial_state(caller: Channel | None, dest: Channel, status: str = "RINGING") -> Pairs:
    return _dial("DialState", caller, dest, ("DialStatus", status))


def dial_end(caller: Channel | None, dest: Channel, status: str) -> Pairs:
    """``status``: ANSWER, BUSY, NOANSWER, CANCEL, CONGESTION, CHANUNAVAIL."""
    return _dial("DialEnd", caller, dest, ("DialStatus", status))


def bridge_create(bridge: Bridge) -> Pairs:
    return event("BridgeCreate", bridge.block())


def bridge_destroy(bridge: Bridge) -> Pairs:
    return event("BridgeDestroy", bridge.block())


def bridge_enter(bridge: Bridge, ch: Channel) -> Pairs:
    bridge.members.append(ch)
    return event("BridgeEnter", [*bridge.block(), *ch.block()])


def bridge_leave(bridge: Bridge, ch: Channel) -> Pairs:
    bridge.members.remove(ch)
    return event("BridgeLeave", [*bridge.block(), *ch.block()])


def local_bridge(one: Channel, two: Channel, *, optimize: bool) -> Pairs:
    """The two halves of a Local channel, linked (``/n`` in the dial string: never optimised away)."""
    return event("LocalBridge", [*one.block("LocalOne"), *two.block("LocalTwo"), ("Context", one.context),
                                 ("Exten", one.exten), ("LocalOptimization", "Yes" if optimize else "No")])


def chanspy(name: str, spyer: Channel, spyee: Channel) -> Pairs:
    """ChanSpyStart / ChanSpyStop."""
    return event(name, [*spyer.block("Spyer"), *spyee.block("Spyee")])


def moh_start(ch: Channel, music_class: str = "default") -> Pairs:
    return chan_event("MusicOnHoldStart", ch, ("Class", music_class))


def moh_stop(ch: Channel) -> Pairs:
    return chan_event("MusicOnHoldStop", ch)


# apps/app_queue.c: a member's Status is its device state (AST_DEVICE_*).
DEVICE_NOT_INUSE, DEVICE_INUSE, DEVICE_RINGING = 1, 2, 6


@dataclass
class Member:
    """A static queue member (queues.conf ``member =>``) and what app_queue counts for it."""

    queue: str
    interface: str
    name: str
    login_time: int = 0
    calls_taken: int = 0
    last_call: int = 0

    def status(self, device_state: int) -> Pairs:
        return event("QueueMemberStatus", [
            ("Queue", self.queue), ("MemberName", self.name), ("Interface", self.interface),
            ("StateInterface", self.interface), ("Membership", "static"), ("Penalty", "0"),
            ("CallsTaken", str(self.calls_taken)), ("LastCall", str(self.last_call)), ("LastPause", "0"),
            ("LoginTime", str(self.login_time)), ("InCall", "0"), ("Status", str(device_state)), ("Paused", "0"),
            ("PausedReason", ""), ("Ringinuse", "0"), ("Wrapuptime", "0"),
        ])
