"""HTTP routes of the knowledge base (知识库).

Agents search and read published articles while on a call; supervisors and admins also edit them
and see drafts and archived ones. Unit handlers have no access: answers go out through the hotline.
"""

from __future__ import annotations

from aiohttp import web

from callcenter.auth.http import require_roles
from callcenter.http.json_body import json_object, json_response, path_int, query_int
from callcenter.http.problems import NotFound
from callcenter.knowledge.keys import KNOWLEDGE
from callcenter.knowledge.model import STATUSES, Article, ArticleNotFound
from callcenter.knowledge.service import MAX_LIMIT
from worksheet.errors import ValidationError
from worksheet.model import Actor, Role

routes = web.RouteTableDef()
_READERS = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
_EDITORS = (Role.SUPERVISOR, Role.ADMIN)


def _article_id(request: web.Request) -> int:
    article_id = path_int(request, "id")
    if article_id is None:
        raise NotFound(f"no knowledge-base article {request.match_info['id'][:40]!r}", error_id=ArticleNotFound.error_id)
    return article_id


def _version(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError("version must be the integer version the edit was based on")
    return value


async def _get(request: web.Request, actor: Actor, article_id: int) -> Article:
    """The article, or a 404; agents only see published articles."""
    try:
        article = await request.app[KNOWLEDGE].get(article_id)
    except ArticleNotFound as exc:
        raise NotFound(exc.detail, error_id=exc.error_id) from None
    if actor.role not in _EDITORS and article.status != "published":
        raise NotFound(f"no knowledge-base article {article_id}", error_id=ArticleNotFound.error_id)
    return article


@routes.get("/api/v1/kb")
async def search_or_list(request: web.Request) -> web.Response:
    """With q: the best published matches, with score and matched terms; without: a page by id."""
    require_roles(request, *_READERS)
    service = request.app[KNOWLEDGE]
    query = request.query.get("q", "").strip()
    if query:
        found = await service.search(query, query_int(request, "limit", 10, 1, MAX_LIMIT))
        return json_response({"query": query, "items": [f.to_json() for f in found]})
    status = request.query.get("status", "published")
    if status not in (*STATUSES, "all"):
        raise ValidationError(f"status must be one of: {', '.join((*STATUSES, 'all'))}")
    if status != "published":
        require_roles(request, *_EDITORS)
    articles, total = await service.list(
        status=None if status == "all" else status, category=request.query.get("category") or None,
        limit=query_int(request, "limit", 50, 1, 500), offset=query_int(request, "offset", 0, 0, 10**9))
    return json_response({"total": total, "items": [a.to_json() for a in articles]})


@routes.get("/api/v1/kb/{id}")
async def get_article(request: web.Request) -> web.Response:
    actor = require_roles(request, *_READERS)
    return json_response((await _get(request, actor, _article_id(request))).to_json())


@routes.post("/api/v1/kb")
async def create_article(request: web.Request) -> web.Response:
    actor = require_roles(request, *_EDITORS)
    article = await request.app[KNOWLEDGE].create(await json_object(request), by=actor.id)
    return json_response(article.to_json(), status=201, headers={"Location": f"/api/v1/kb/{article.id}"})


@routes.put("/api/v1/kb/{id}")
async def update_article(request: web.Request) -> web.Response:
    """Fields not in the body keep their values; `version` is required (409 when stale)."""
    actor = require_roles(request, *_EDITORS)
    article_id = _article_id(request)
    body = await json_object(request)
    version = _version(body.get("version"))
    await _get(request, actor, article_id)
    article = await request.app[KNOWLEDGE].update(article_id, body, expected_version=version, by=actor.id)
    return json_response(article.to_json())


@routes.delete("/api/v1/kb/{id}")
async def archive_article(request: web.Request) -> web.Response:
    """Archives (never deletes): orders answered from an article keep a readable source.
    `?version=` makes the archive conditional, like an update."""
    actor = require_roles(request, *_EDITORS)
    article_id = _article_id(request)
    version = query_int(request, "version", 0, 1, 2**31 - 1) if "version" in request.query else None
    await _get(request, actor, article_id)
    article = await request.app[KNOWLEDGE].archive(article_id, by=actor.id, expected_version=version)
    return json_response(article.to_json())
