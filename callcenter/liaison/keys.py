"""The typed application key of the liaison repository."""

from __future__ import annotations

from aiohttp import web

from .repository import LiaisonRepository

LIAISONS = web.AppKey("liaisons", LiaisonRepository)
