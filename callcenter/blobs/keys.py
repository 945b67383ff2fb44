"""The blob service's application key (set by the composition root)."""

from __future__ import annotations

from aiohttp import web

from .service import BlobService

BLOBS = web.AppKey("blobs", BlobService)
