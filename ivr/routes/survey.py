"""FastAGI script ``survey``: the satisfaction survey (ivr/menus/survey.toml) for one order.

Dialplan contract: set ``ZT_ORDER_NUMBER`` on the channel, ``AGI(agi://<host>:4573/survey)``, then
hang up (``ZT_NEXT`` is "hangup"). A caller who hangs up before answering is saved as no answer.
A back-office error is logged with the answer (so it can be re-entered) and the call ends politely.
"""

from __future__ import annotations

import logging

from ivr import flow
from ivr.agi.server import Route
from ivr.agi.session import AgiSession
from ivr.ports import HotlineDesk
from ivr.routes.driver import run_menu

SCRIPT = "survey"
logger = logging.getLogger(__name__)


def make_route(desk: HotlineDesk, menu: flow.Menu | None = None) -> Route:
    menu = menu or flow.load_menu(flow.menu_path("survey"))

    async def survey(session: AgiSession) -> None:
        await session.answer()
        order_number = (await session.get_variable("ZT_ORDER_NUMBER") or "").strip()
        if not order_number:
            logger.warning("survey call %s without ZT_ORDER_NUMBER; hanging up", session.uniqueid)
            await session.set_variable("ZT_NEXT", "hangup")
            return

        async def effect(action: flow.Action) -> flow.Event | None:
            if not isinstance(action, flow.SaveSurvey):
                raise TypeError(f"survey menu cannot perform {action!r}")
            try:
                await desk.record_survey(order_number=order_number, answer=action.answer, uniqueid=session.uniqueid)
            except Exception:
                logger.exception("survey answer %r for order %s not saved", action.answer, order_number)
            return flow.Saved()

        await run_menu(session, menu, effect)

    return survey
