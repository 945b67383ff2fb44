"""The simulated caller: what the person on the phone presses, and when they hang up."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

HANGUP = "hangup"


class Caller:
    """Key presses consumed one per input command (GET DATA, STREAM FILE with escape digits,
    GET OPTION, WAIT FOR DIGIT, RECORD FILE), in order.

    A press is a string of DTMF digits (``"2"``, ``"42#"``), ``""`` for "pressed nothing"
    (timeout) or ``"hangup"`` (the caller hangs up during that command). ``hangup_after`` = N:
    the caller hangs up right after the reply to the N-th AGI command. ``hangup_when_done``:
    once the presses run out, the caller hangs up at the next input command.
    """

    def __init__(self, presses: Iterable[str] = (), *, hangup_after: int | None = None,
                 hangup_when_done: bool = False) -> None:
        self.presses = deque(presses)
        self.hangup_after = hangup_after
        self.hangup_when_done = hangup_when_done
        self.pressed: list[str] = []  # every digit actually sent, in order

    def next_press(self) -> str:
        if self.presses:
            return self.presses.popleft()
        return HANGUP if self.hangup_when_done else ""
