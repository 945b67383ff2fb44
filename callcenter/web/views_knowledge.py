"""The knowledge base (知识库) pages: search for agents (with the matched words marked), and
editing for supervisors (create, edit with optimistic versions, archive)."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from markupsafe import Markup, escape

from callcenter.db.errors import VersionConflict
from callcenter.knowledge.keys import KNOWLEDGE
from callcenter.knowledge.model import ArticleNotFound
from worksheet.errors import ValidationError
from worksheet.model import Role

from .render import render
from .session import web_actor

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
    if query:
        hits = [{"article": f.article, "title": mark_terms(f.article.title, f.hit.terms),
                 "body": mark_terms(f.article.body, f.hit.terms)} for f in await kb.search(query, 10)]
    else:
        status = request.query.get("status", "published") if actor.role != Role.AGENT else "published"
        articles, _ = await kb.list(status=status)
        hits = [{"article": a, "title": a.title, "body": a.body} for a in articles]
    return render(request, "knowledge.html", query=query, hits=hits, statuses=STATUSES,
                  can_edit=actor.role in (Role.SUPERVISOR, Role.ADMIN))


def _fields(form: Any) -> dict[str, Any]:
    keywords = [k.strip() for k in re.split(r"[,，、\s]+", str(form.get("keywords", ""))) if k.strip()]
    return {"title": str(form.get("title", "")), "body": str(form.get("body", "")),
            "category": str(form.get("category", "")), "keywords": keywords,
            "unit": str(form.get("unit", "")).strip() or None, "status": str(form.get("status", "published"))}


@routes.get("/knowledge/{ref:new|\\d+}")
async def edit_page(request: web.Request) -> web.Response:
    web_actor(request, Role.SUPERVISOR)
    ref = request.match_info["ref"]
    try:
        article = None if ref == "new" else await request.app[KNOWLEDGE].get(int(ref))
    except ArticleNotFound:
        raise web.HTTPNotFound(text=f"没有知识条目 {ref}") from None
    return render(request, "knowledge_edit.html", article=article, statuses=STATUSES, error="")


@routes.post("/knowledge/{ref:new|\\d+}")
async def save(request: web.Request) -> web.Response:
    actor = web_actor(request, Role.SUPERVISOR)
    ref, form, kb = request.match_info["ref"], await request.post(), request.app[KNOWLEDGE]
    try:
        if ref == "new":
            article = await kb.create(_fields(form), by=actor.id)
        elif form.get("archive"):
            article = await kb.archive(int(ref), by=actor.id, expected_version=int(str(form.get("version", "0"))))
        else:
            article = await kb.update(int(ref), _fields(form), expected_version=int(str(form.get("version", "0"))),
                                      by=actor.id)
    except ArticleNotFound:
        raise web.HTTPNotFound(text=f"没有知识条目 {ref}") from None
    except (ValidationError, VersionConflict, ValueError) as exc:
        current = None if ref == "new" else await kb.get(int(ref))
        message = "条目已被他人修改，请在最新版本上重新编辑" if isinstance(exc, VersionConflict) else f"填写有误（{exc}）"
        return render(request, "knowledge_edit.html", status=409 if isinstance(exc, VersionConflict) else 422,
                      article=current, statuses=STATUSES, error=message, draft=_fields(form))
    raise web.HTTPSeeOther(f"/knowledge/{article.id}?saved=1")
