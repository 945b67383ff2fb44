"""Events fed into the flow engine and actions it asks the driver to perform (all frozen values)."""

from __future__ import annotations

from dataclasses import dataclass

# ----------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Digits:
    """DTMF collected for the current node, terminator already stripped (never empty)."""

    digits: str


@dataclass(frozen=True)
class Timeout:
    """The caller pressed nothing before the collect timed out."""


@dataclass(frozen=True)
class Recorded:
    """RECORD FILE ended; ``duration_s`` is None when the caller hung up before Asterisk replied."""

    path: str
    duration_s: float | None


@dataclass(frozen=True)
class OrderFound:
    number: str
    status_text: str
    due_text: str | None


@dataclass(frozen=True)
class OrderNotFound:
    number: str


@dataclass(frozen=True)
class Saved:
    """The back office stored a CreateDraft/SaveSurvey; ``reference`` is e.g. the draft order number."""

    reference: str | None = None


@dataclass(frozen=True)
class DeskFailed:
    """A back-office call (lookup, draft, survey) raised: the engine goes to the menu's error node."""

    reason: str


@dataclass(frozen=True)
class HungUp:
    """The caller is gone; only bookkeeping actions (CreateDraft/SaveSurvey) may follow."""


Event = Digits | Timeout | Recorded | OrderFound | OrderNotFound | Saved | DeskFailed | HungUp

# ----------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class Play:
    """Play the static prompt ``zhitong/<prompt_id>`` (``text`` is what it says)."""

    prompt_id: str
    text: str


@dataclass(frozen=True)
class Say:
    """Speak a dynamic text as a sequence of pre-rendered word prompts (see :mod:`ivr.flow.say`)."""

    text: str
    prompt_ids: tuple[str, ...]


@dataclass(frozen=True)
class Collect:
    """Play ``prompt_id`` and collect up to ``max_digits`` DTMF digits, ended early by ``terminator``."""

    prompt_id: str
    text: str
    max_digits: int
    timeout_ms: int
    terminator: str = "#"


@dataclass(frozen=True)
class Record:
    max_s: int
    silence_s: int
    terminator: str = "#"


@dataclass(frozen=True)
class Transfer:
    queue: str


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class LookupOrder:
    number: str


@dataclass(frozen=True)
class CreateDraft:
    recording: str
    duration_s: float | None
    menu_choice: str | None


@dataclass(frozen=True)
class SaveSurvey:
    answer: str | None


@dataclass(frozen=True)
class Step:
    """The call entered ``node_id`` (for call logging)."""

    node_id: str


Action = Play | Say | Collect | Record | Transfer | Hangup | LookupOrder | CreateDraft | SaveSurvey | Step
# Actions that touch the back office rather than the channel: still run after a hangup.
EFFECTS = (LookupOrder, CreateDraft, SaveSurvey)
