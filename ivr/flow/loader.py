"""Load and validate a TOML menu file into :class:`ivr.flow.model.Menu` (every error is a MenuError)."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path
from typing import Any

from ivr.flow.model import COLLECTING, KINDS, Menu, MenuError, Node

MENU_DIR = Path(__file__).resolve().parent.parent / "menus"
PROMPT_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
DTMF = set("0123456789*#")
NODE_FIELDS = {f.name: f for f in dataclasses.fields(Node)}
DEFAULTABLE = {"invalid_prompt", "timeout_prompt", "not_found_prompt", "max_failures", "on_failure", "timeout_ms"}
REQUIRED = {
    "play": ("prompts", "next"),
    "menu": ("prompt", "choices", "on_failure"),
    "order": ("prompt", "next", "say", "on_failure"),
    "record": ("next",),
    "survey": ("prompt", "answers", "next", "on_failure"),
    "transfer": (),
    "hangup": (),
}


def menu_path(name: str) -> Path:
    """The packaged menu file ``ivr/menus/<name>.toml``."""
    return MENU_DIR / f"{name}.toml"


def load_menu(path: str | Path) -> Menu:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise MenuError("menu-syntax", f"{path}: {exc}") from None
    return parse_menu(data, source=str(path))


def parse_menu(data: dict[str, Any], *, source: str = "<menu>") -> Menu:
    _only(data, {"menu", "defaults", "prompts", "nodes"}, source)
    head = data.get("menu", {})
    _only(head, {"id", "start", "on_error"}, f"{source} [menu]")
    for key in ("id", "start", "on_error"):
        if not isinstance(head.get(key), str):
            raise MenuError("menu-invalid", f"{source}: [menu] needs a string {key!r}")
    prompts = data.get("prompts", {})
    for pid, text in prompts.items():
        if not PROMPT_ID_RE.fullmatch(pid) or not isinstance(text, str) or not text.strip():
            raise MenuError("menu-invalid", f"{source}: prompt {pid!r} needs a lowercase id and a non-empty text")
    defaults = data.get("defaults", {})
    _only(defaults, DEFAULTABLE, f"{source} [defaults]")
    nodes: dict[str, Node] = {}
    for raw in data.get("nodes", []):
        node = _node(raw, defaults, source)
        if node.id in nodes:
            raise MenuError("menu-duplicate-id", f"{source}: node id {node.id!r} is defined twice")
        nodes[node.id] = node
    menu = Menu(id=head["id"], start=head["start"], on_error=head["on_error"], prompts=prompts, nodes=nodes)
    _check_links(menu, source)
    return menu


def _only(table: Any, allowed: set[str], where: str) -> None:
    if not isinstance(table, dict):
        raise MenuError("menu-invalid", f"{where} must be a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise MenuError("menu-invalid", f"{where}: unknown key(s) {', '.join(unknown)}")


def _node(raw: Any, defaults: dict[str, Any], source: str) -> Node:
    _only(raw, set(NODE_FIELDS), f"{source} node {raw.get('id', '?') if isinstance(raw, dict) else '?'}")
    where = f"{source} node {raw.get('id')!r}"
    if not isinstance(raw.get("id"), str) or not raw["id"]:
        raise MenuError("menu-invalid", f"{where}: every node needs a string id")
    if raw.get("kind") not in KINDS:
        raise MenuError("menu-invalid", f"{where}: kind must be one of {', '.join(KINDS)}")
    values = dict(raw)
    if raw["kind"] in COLLECTING:
        values = {**{k: v for k, v in defaults.items()}, **raw}
    for name, value in values.items():
        _check_type(name, value, where)
    for name in REQUIRED[raw["kind"]]:
        if not values.get(name):
            raise MenuError("menu-invalid", f"{where}: a {raw['kind']} node needs {name!r}")
    for key in (*values.get("choices", {}), *values.get("answers", {})):
        if key not in DTMF:
            raise MenuError("menu-invalid", f"{where}: choice key {key!r} is not one DTMF digit")
    values["prompts"] = tuple(values.get("prompts", ()))
    return Node(**values)


def _check_type(name: str, value: Any, where: str) -> None:
    default = NODE_FIELDS[name].default
    if name in ("choices", "answers"):
        ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    elif name == "prompts":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    else:
        ok = isinstance(value, str) and value != ""
    if not ok:
        raise MenuError("menu-invalid", f"{where}: bad value for {name!r}: {value!r}")


def _check_links(menu: Menu, source: str) -> None:
    for label, target in (("start", menu.start), ("on_error", menu.on_error)):
        if target not in menu.nodes:
            raise MenuError("menu-unknown-target", f"{source}: [menu] {label} = {target!r} is not a node")
    for node in menu.nodes.values():
        for label, target in node.targets():
            if target not in menu.nodes:
                raise MenuError("menu-unknown-target", f"{source}: node {node.id!r} {label} -> unknown node {target!r}")
        for ref in node.prompt_refs():
            if ref not in menu.prompts:
                raise MenuError("menu-missing-prompt", f"{source}: node {node.id!r} uses undefined prompt {ref!r}")
    for node in menu.nodes.values():  # a loop of play nodes would never wait for the caller
        seen, cur = set(), node
        while cur.kind == "play":
            if cur.id in seen:
                raise MenuError("menu-invalid", f"{source}: play nodes loop without input at {cur.id!r}")
            seen.add(cur.id)
            cur = menu.nodes[cur.next or ""]
