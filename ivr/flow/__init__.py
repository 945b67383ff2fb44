"""Pure IVR flow engine: menus as TOML data, ``start``/``step`` as plain functions (no I/O, no asyncio)."""

from ivr.flow.engine import start, step
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
from ivr.flow.loader import MENU_DIR, load_menu, menu_path, parse_menu
from ivr.flow.model import Menu, MenuError, Node
from ivr.flow.state import FlowStateError, State

__all__ = [
    "MENU_DIR", "Action", "Collect", "CreateDraft", "DeskFailed", "Digits", "Event", "FlowStateError",
    "Hangup", "HungUp", "LookupOrder", "Menu", "MenuError", "Node", "OrderFound", "OrderNotFound", "Play",
    "Record", "Recorded", "SaveSurvey", "Saved", "Say", "State", "Step", "Timeout", "Transfer", "load_menu",
    "menu_path", "parse_menu", "start", "step",
]
