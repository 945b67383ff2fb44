"""The AMI event screen keeps what a real Asterisk sends and refuses what none can."""

from __future__ import annotations

import pytest

from callcenter.ami.codec import Message
from callcenter.calls.screen import problem


def _event(uniqueid: str) -> Message:
    return Message((("Event", "Newchannel"), ("Uniqueid", uniqueid), ("Linkedid", "cb-1f2e")))


@pytest.mark.parametrize("uniqueid", ["1733472000.42", "cb-1f2e", "cb-1f2e;2", "1733472000.42;2"])
def test_ids_asterisk_makes_pass(uniqueid: str) -> None:
    # "<ChannelId>;2" is the second half of a Local channel Originate named (core_unreal.c).
    assert problem(_event(uniqueid)) is None


@pytest.mark.parametrize("uniqueid", ["cb;2;2", ";2", "a/b;2", "x" * 70 + ";2", "a;3", "a b"])
def test_forged_ids_are_refused(uniqueid: str) -> None:
    assert problem(_event(uniqueid)) == "impossible Uniqueid"
