"""The typed application key of the knowledge service (kept beside it, so callcenter/keys.py
need not import the knowledge package to type it)."""

from __future__ import annotations

from aiohttp import web

from callcenter.knowledge.service import KnowledgeService

KNOWLEDGE = web.AppKey("knowledge", KnowledgeService)
