"""FastAGI script ``hotline``: the inbound menu (ivr/menus/hotline.toml).

Dialplan contract: ``AGI(agi://<host>:4573/hotline)``, then branch on ``${ZT_NEXT}`` ("agent" ->
Queue, "hangup" -> Hangup). ``AGI(agi://<host>:4573/hotline,message)`` (after the agent queue gave
up) skips the menu: the caller hears that the agents are busy and may leave a message. Optional
``ZT_RECDIR`` sets where messages are recorded; after a voice message ``ZT_DRAFT`` holds the draft
order number (when the caller is still there).
"""

from __future__ import annotations

from ivr import flow
from ivr.agi.codec import is_channel_id
from ivr.agi.server import Route
from ivr.agi.session import AgiSession
from ivr.ports import HotlineDesk
from ivr.routes.driver import run_menu
from worksheet.callerid import caller_name, caller_number

SCRIPT = "hotline"
# First AGI argument -> node to start at. "message" (after the queue gave up) says that the agents
# are busy, then takes the message.
ENTRIES = {"message": "agents-busy"}


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
                    # agi_callerid is "unknown" without caller ID and "anonymous" when withheld
                    caller=caller_number(headers.get("callerid")) or "",
                    caller_name=caller_name(headers.get("calleridname")),
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
