"""The knowledge base (知识库) pages: search for agents (with the matched words marked), and
editing for supervisors (create, edit with optimistic versions, archive)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from markupsafe import Markup, escape

from callcenter.db.errors import VersionConflict
from callcenter.http.json_body import path_int
from callcenter.knowledge.cli import CLI_USER
from callcenter.knowledge.keys import KNOWLEDGE
from callcenter.knowledge.model import Article, ArticleNotFound
from worksheet.errors import ValidationError
from worksheet.model import Role

from .forms import expected_version
from .messages import user_message
from .paging import paged
from .render import render
from .session import web_actor
from .views_orders import unit_names

routes = web.RouteTableDef()
READERS = (Role.AGENT, Role.SUPERVISOR)
STATUSES = (("published", "已发布"), ("draft", "草稿"), ("archived", "已归档"))


def mark_terms(text: str, terms: tuple[str, ...] | list[str]) -> Markup:
    """``text`` with the query terms the search matched wrapped in <mark> (escaped throughout)."""
    if not terms:
        return escape(text)
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))
    out, at = [], 0
    for m in pattern.finditer(text):
        out += [escape(text[at:m.start()]), Markup("<mark>{}</mark>").format(m.group())]
        at = m.end()
    return Markup("").join([*out, escape(text[at:])])


@routes.get("/knowledge")
async def search(request: web.Request) -> web.Response:
    actor = web_actor(request, *READERS)
    query = request.query.get("q", "").strip()
    kb = request.app[KNOWLEDGE]
    pager = None
    if query:
        hits = [{"article": f.article, "title": mark_terms(f.article.title, f.hit.terms),
                 "body": mark_terms(f.article.body, f.hit.terms)} for f in await kb.search(query, 10)]
    else:
        status = request.query.get("status", "published") if actor.role != Role.AGENT else "published"
        articles, pager = await paged(request, lambda limit, offset: kb.list(status=status, limit=limit, offset=offset))
        hits = [{"article": a, "title": a.title, "body": a.body} for a in articles]
    return render(request, "knowledge.html", query=query, hits=hits, statuses=STATUSES, pager=pager,
                  status_names=dict(STATUSES), unit_names=await unit_names(request), imported_by=CLI_USER,
                  can_edit=actor.role in (Role.SUPERVISOR, Role.ADMIN))


def _fields(form: Any) -> dict[str, Any]:
    keywords = [k.strip() for k in re.split(r"[,，、\s]+", str(form.get("keywords", ""))) if k.strip()]
    return {"title": str(form.get("title", "")), "body": str(form.get("body", "")),
            "category": str(form.get("category", "")), "keywords": keywords,
            "unit": str(form.get("unit", "")).strip() or None, "status": str(form.get("status", "published"))}


def _article_id(request: web.Request) -> int | None:
    """None for "new"; a 404 for a number no article could have (the route only admits digits)."""
    if request.match_info["ref"] == "new":
        return None
    article_id = path_int(request, "ref")
    if article_id is None:
        raise web.HTTPNotFound(text="没有这个知识条目")
    return article_id


async def _article(request: web.Request, article_id: int) -> Article:
    try:
        return await request.app[KNOWLEDGE].get(article_id)
    except ArticleNotFound:
        raise web.HTTPNotFound(text=f"没有知识条目 {article_id}") from None


@routes.get("/knowledge/{ref:new|\\d+}")
async def edit_page(request: web.Request) -> web.Response:
    web_actor(request, Role.SUPERVISOR)
    article_id = _article_id(request)
    article = None if article_id is None else await _article(request, article_id)
    return render(request, "knowledge_edit.html", article=article, statuses=STATUSES, error="",
                  unit_names=await unit_names(request))


@routes.post("/knowledge/{ref:new|\\d+}")
async def save(request: web.Request) -> web.Response:
    actor = web_actor(request, Role.SUPERVISOR)
    article_id, form, kb = _article_id(request), await request.post(), request.app[KNOWLEDGE]
    try:
        if article_id is None:
            article = await kb.create(_fields(form), by=actor.id)
        elif (version := expected_version(form)) is None:
            raise ValidationError("version is required")
        elif form.get("archive"):
            article = await kb.archive(article_id, by=actor.id, expected_version=version)
        else:
            article = await kb.update(article_id, _fields(form), expected_version=version, by=actor.id)
    except ArticleNotFound:
        raise web.HTTPNotFound(text=f"没有知识条目 {article_id}") from None
    except (ValidationError, VersionConflict) as exc:
        current = None if article_id is None else await _article(request, article_id)
        message = "条目已被他人修改，请在最新版本上重新编辑" if isinstance(exc, VersionConflict) else user_message(exc)
        return render(request, "knowledge_edit.html", status=409 if isinstance(exc, VersionConflict) else 422,
                      article=current, statuses=STATUSES, error=message, draft=_fields(form),
                      unit_names=await unit_names(request))
    raise web.HTTPSeeOther(f"/knowledge/{article.id}?saved=1")
