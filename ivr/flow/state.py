"""The state of one call in a menu (a frozen value the engine replaces at every step)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


class FlowStateError(RuntimeError):
    """An event that the current state cannot take (a driver bug)."""

    error_id: ClassVar[str] = "ivr-flow-unexpected-event"


@dataclass(frozen=True)
class State:
    node: str
    waiting: str  # "input" | "lookup" | "recording" | "saving" | "done"
    failures: int = 0
    choice: str | None = None
    trace: tuple[str, ...] = ()
    outcome: str | None = None  # "transfer:<queue>" | "hangup" once done
    after: str | None = None  # while saving: the node to enter once the effect is Saved
