"""Menu data model: frozen dataclasses built by :mod:`ivr.flow.loader` from a TOML menu file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

KINDS = ("play", "menu", "order", "record", "survey", "transfer", "hangup")
# Nodes that wait for DTMF and count failures.
COLLECTING = ("menu", "order", "survey")
TERMINAL = ("transfer", "hangup")


class MenuError(ValueError):
    """A menu file is unusable; ``error_id`` says why, the message says where."""

    error_id: str
    ERROR_IDS: ClassVar[tuple[str, ...]] = (
        "menu-syntax", "menu-invalid", "menu-duplicate-id", "menu-unknown-target", "menu-missing-prompt",
    )

    def __init__(self, error_id: str, message: str) -> None:
        if error_id not in self.ERROR_IDS:
            raise ValueError(f"unknown menu error id {error_id!r}")
        super().__init__(f"{error_id}: {message}")
        self.error_id = error_id


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    prompts: tuple[str, ...] = ()  # played on entry (play, record, transfer, hangup)
    prompt: str | None = None  # the collect prompt (menu, order, survey)
    choices: dict[str, str] = field(default_factory=dict)  # digit -> node id (menu)
    answers: dict[str, str] = field(default_factory=dict)  # digit -> answer (survey)
    next: str | None = None
    on_timeout: str | None = None  # menu: a timeout goes here instead of re-prompting
    on_failure: str | None = None  # after max_failures invalid inputs / timeouts / not-found
    invalid_prompt: str | None = None
    timeout_prompt: str | None = None
    not_found_prompt: str | None = None
    max_failures: int = 3
    timeout_ms: int = 5000
    max_digits: int = 1
    choice: str | None = None  # tag passed to CreateDraft as menu_choice
    max_s: int = 120
    silence_s: int = 5
    queue: str = "agent"
    say: str = ""  # order: read-back template with {number} {status} {due}
    say_no_due: str = ""

    def targets(self) -> list[tuple[str, str]]:
        """(field, node id) pairs this node can go to, for validation."""
        pairs = [(f"choices.{d}", t) for d, t in self.choices.items()]
        pairs += [(name, t) for name in ("next", "on_timeout", "on_failure") if (t := getattr(self, name))]
        return pairs

    def prompt_refs(self) -> list[str]:
        refs = [*self.prompts, self.prompt, self.invalid_prompt, self.timeout_prompt, self.not_found_prompt]
        return [r for r in refs if r]


@dataclass(frozen=True)
class Menu:
    id: str
    start: str
    on_error: str  # where a DeskFailed event goes
    prompts: dict[str, str]  # prompt id -> Chinese text
    nodes: dict[str, Node]

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    def text(self, prompt_id: str) -> str:
        return self.prompts[prompt_id]
