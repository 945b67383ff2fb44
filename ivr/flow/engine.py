"""The flow engine: ``start(menu)`` and ``step(menu, state, event)`` return a new state and actions.

Pure functions over frozen values; the driver in :mod:`ivr.routes.driver` performs the actions
and feeds the results back as events. Every path ends in a Transfer or Hangup action.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ivr.flow import say
from ivr.flow.events import (
    Action,
    Collect,
    CreateDraft,
    DeskFailed,
    Digits,
    Event,
    Hangup,
    HungUp,
    LookupOrder,
    OrderFound,
    OrderNotFound,
    Play,
    Record,
    Recorded,
    Saved,
    SaveSurvey,
    Say,
    Step,
    Timeout,
    Transfer,
)
from ivr.flow.model import COLLECTING, Menu
from ivr.flow.state import FlowStateError, State

ORDER_DIGITS_RE = re.compile(r"\d{12}")


def start(menu: Menu, entry: str | None = None) -> tuple[State, list[Action]]:
    """Enter the menu's start node, or ``entry`` (another node id) when given."""
    node_id = entry or menu.start
    return _enter(menu, State(node=node_id, waiting="input"), node_id)


def step(menu: Menu, state: State, event: Event) -> tuple[State, list[Action]]:
    node = menu.node(state.node)
    if state.waiting == "done":
        if isinstance(event, HungUp):
            return state, []
        raise FlowStateError(f"flow already ended ({state.outcome}); got {event!r}")
    if isinstance(event, HungUp):
        pending = [SaveSurvey(None)] if node.kind == "survey" and state.waiting == "input" else []
        return replace(state, waiting="done", outcome="hangup"), pending
    if isinstance(event, DeskFailed):
        return _enter(menu, state, menu.on_error)
    if state.waiting == "saving" and isinstance(event, Saved):
        return _enter(menu, state, state.after or "")
    if state.waiting == "recording" and isinstance(event, Recorded):
        draft = CreateDraft(recording=event.path, duration_s=event.duration_s, menu_choice=state.choice)
        return _saving(state, draft, node.next)
    if state.waiting == "lookup" and isinstance(event, OrderFound):
        template = node.say if event.due_text else (node.say_no_due or node.say)
        text = template.format(number=event.number, status=event.status_text, due=event.due_text or "")
        return _enter(menu, state, node.next or "", [Say(text, say.tokenize(text))])
    if state.waiting == "lookup" and isinstance(event, OrderNotFound):
        return _failed(menu, state, node.not_found_prompt or node.invalid_prompt)
    if state.waiting == "input" and isinstance(event, Digits | Timeout):
        return _input(menu, state, event)
    raise FlowStateError(f"node {state.node!r} waiting for {state.waiting} cannot take {event!r}")


def _input(menu: Menu, state: State, event: Digits | Timeout) -> tuple[State, list[Action]]:
    node = menu.node(state.node)
    if isinstance(event, Timeout) or not event.digits:
        if node.on_timeout:
            return _enter(menu, state, node.on_timeout)
        return _failed(menu, state, node.timeout_prompt)
    digits = event.digits
    if node.kind == "menu" and digits in node.choices:
        return _enter(menu, state, node.choices[digits])
    if node.kind == "survey" and digits in node.answers:
        return _saving(state, SaveSurvey(node.answers[digits]), node.next)
    if node.kind == "order" and ORDER_DIGITS_RE.fullmatch(digits):
        return replace(state, waiting="lookup"), [LookupOrder(f"{digits[:8]}-{digits[8:]}")]
    return _failed(menu, state, node.invalid_prompt)


def _failed(menu: Menu, state: State, prompt_id: str | None) -> tuple[State, list[Action]]:
    """Count one failure: re-prompt, or leave through on_failure after max_failures."""
    node = menu.node(state.node)
    failures = state.failures + 1
    if failures >= node.max_failures:
        if node.kind == "survey":
            return _saving(state, SaveSurvey(None), node.on_failure)
        return _enter(menu, state, node.on_failure or menu.on_error)
    actions: list[Action] = [Play(prompt_id, menu.text(prompt_id))] if prompt_id else []
    actions.append(_collect(menu, state.node))
    return replace(state, failures=failures, waiting="input"), actions


def _saving(state: State, effect: Action, after: str | None) -> tuple[State, list[Action]]:
    """Wait for the back office to confirm ``effect`` (Saved) before going on to ``after``."""
    return replace(state, waiting="saving", after=after), [effect]


def _collect(menu: Menu, node_id: str) -> Collect:
    node = menu.node(node_id)
    assert node.prompt is not None
    return Collect(node.prompt, menu.text(node.prompt), node.max_digits, node.timeout_ms)


def _enter(
    menu: Menu, state: State, node_id: str, actions: list[Action] | None = None
) -> tuple[State, list[Action]]:
    """Enter ``node_id`` (following play nodes) and emit its actions after ``actions``."""
    out: list[Action] = list(actions or [])
    while True:
        node = menu.node(node_id)
        state = replace(state, node=node_id, failures=0, trace=(*state.trace, node_id))
        if node.choice:
            state = replace(state, choice=node.choice)
        out.append(Step(node_id))
        out += [Play(p, menu.text(p)) for p in node.prompts]
        if node.kind != "play":
            break
        node_id = node.next or ""
    if node.kind in COLLECTING:
        return replace(state, waiting="input"), [*out, _collect(menu, node_id)]
    if node.kind == "record":
        return replace(state, waiting="recording"), [*out, Record(node.max_s, node.silence_s)]
    if node.kind == "transfer":
        return replace(state, waiting="done", outcome=f"transfer:{node.queue}"), [*out, Transfer(node.queue)]
    return replace(state, waiting="done", outcome="hangup"), [*out, Hangup()]
