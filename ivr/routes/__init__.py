"""FastAGI routes, one module per AGI script name; :func:`build_routes` is the registry."""

from __future__ import annotations

from ivr.agi.server import Route
from ivr.ports import HotlineDesk
from ivr.routes import hotline, survey


def build_routes(desk: HotlineDesk) -> dict[str, Route]:
    """``{script name: route}`` for :class:`ivr.agi.server.AgiServer` (menus load and validate here)."""
    return {
        hotline.SCRIPT: hotline.make_route(desk),
        survey.SCRIPT: survey.make_route(desk),
    }
