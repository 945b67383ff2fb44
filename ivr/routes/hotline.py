"""FastAGI script ``hotline``: the inbound menu (ivr/menus/hotline.toml).

Dialplan contract: ``AGI(agi://<host>:4573/hotline)``, then branch on ``${ZT_NEXT}`` ("agent" ->
Queue, "hangup" -> Hangup). ``AGI(agi://<host>:4573/hotline,message)`` (after the agent queue gave
up) skips the menu and goes straight to leaving a message. Optional ``ZT_RECDIR`` sets where messages are recorded; after a
voice message ``ZT_DRAFT`` holds the draft order number (when the caller is still there).
"""

from __future__ import annotations

import re

from ivr import flow
from ivr.agi.codec import is_channel_id
from ivr.agi.server import Route
from ivr.agi.session import AgiSession
from ivr.ports import HotlineDesk
from ivr.routes.driver import run_menu

SCRIPT = "hotline"
ENTRIES = {"message": "leave-message"}  # first AGI argument -> node to start at
# What Asterisk puts in agi_callerid/agi_calleridname when there is no usable caller ID; a
# withheld number arrives as "anonymous" (from SIP). None of them is a number to call back.
NO_CALLER_ID = frozenset({"", "unknown", "anonymous", "<unknown>", "restricted", "private", "unavailable"})
_NUMBER = re.compile(r"\+?[0-9][0-9 ()-]{0,30}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_CALLER_NAME = 100


def caller_number(raw: str) -> str:
    """The caller's number as a draft can store it, or "" when there is none to call back.

    A voice message must become a draft whatever the caller ID says: before this, "unknown"
    (no caller ID) and "anonymous" (withheld) failed the order's phone validation and the
    message was never drafted.
    """
    value = raw.strip()
    if value.lower() in NO_CALLER_ID or not _NUMBER.fullmatch(value):
        return ""
    return value


def caller_name(raw: str) -> str:
    """The display name without control characters, cut to a length an order's name field takes."""
    value = _CONTROL.sub(" ", raw).strip()
    return "" if value.lower() in NO_CALLER_ID else value[:MAX_CALLER_NAME].strip()


def make_route(desk: HotlineDesk, menu: flow.Menu | None = None) -> Route:
    menu = menu or flow.load_menu(flow.menu_path("hotline"))
    missing = sorted(set(ENTRIES.values()) - set(menu.nodes))
    if missing:
        raise flow.MenuError("menu-unknown-target", f"hotline route needs entry node(s) {missing}")

    async def hotline(session: AgiSession) -> None:
        await session.answer()
        linkedid = await session.get_full_variable("${CHANNEL(linkedid)}") or ""
        if not is_channel_id(linkedid):
            linkedid = session.uniqueid  # the call record and transcription job are keyed by it
        headers = session.request.headers

        async def effect(action: flow.Action) -> flow.Event | None:
            if isinstance(action, flow.LookupOrder):
                view = await desk.order_status(action.number)
                if view is None:
                    return flow.OrderNotFound(action.number)
                return flow.OrderFound(view.number, view.status_text, view.due_text)
            if isinstance(action, flow.CreateDraft):
                number = await desk.leave_message(
                    caller=caller_number(headers.get("callerid", "")),
                    caller_name=caller_name(headers.get("calleridname", "")),
                    recording=action.recording,
                    uniqueid=session.uniqueid,
                    linkedid=linkedid,
                    menu_choice=action.menu_choice,
                )
                if not session.hung_up:
                    await session.set_variable("ZT_DRAFT", number)
                return flow.Saved(number)
            raise TypeError(f"hotline menu cannot perform {action!r}")

        args = session.request.args
        await run_menu(session, menu, effect, ENTRIES.get(args[0]) if args else None)

    return hotline
