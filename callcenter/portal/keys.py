"""The application key under which the composition root puts the portal service."""

from aiohttp import web

from .service import PortalService

PORTAL = web.AppKey("portal", PortalService)
