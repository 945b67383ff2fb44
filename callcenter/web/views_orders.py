"""One order: its details, deadlines and history, and the actions the signed-in role may take."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from aiohttp import web

from callcenter.blobs.keys import BLOBS
from callcenter.blobs.sniff import ACCEPTED
from callcenter.db.errors import OrderNotFound, VersionConflict
from callcenter.http.hygiene import streamed_form
from callcenter.http.problems import status_for
from callcenter.keys import AUDIT, CALLS, CLOCK, ORDERS, POLICY, UNITS
from callcenter.knowledge.keys import KNOWLEDGE
from callcenter.orders import schemas
from callcenter.orders.services import SearchQuery
from worksheet.errors import InvalidTransition, WorksheetError
from worksheet.model import Category, Channel, Role, Urgency, WorkOrder

from . import labels
from .forms import command_body, expected_version
from .labels import STATUS as STATUS_LABELS
from .live_call import claim_call, link_call
from .messages import user_message
from .paging import paged
from .render import render
from .session import web_actor
from .uploads import form_with_files

routes = web.RouteTableDef()
PAGE_SIZE = 50
ORDER_NUMBER = re.compile(r"^\d{8}-\d{4}$")

async def order_page(request: web.Request, order: WorkOrder, *, status: int = 200, flash: str = "",
                     flash_kind: str = "ok", reveal: bool = False, entered: dict[str, str] | None = None) -> web.Response:
    """``entered``: the refused action's form as typed (with "_action"), shown again in that form."""
    actor = web_actor(request)
    view = schemas.order_view(order, request.app[POLICY], request.app[CLOCK](), actor)
    units = await request.app[UNITS].list()
    related = await related_calls(request, order)
    kb_hits = []
    if "answer-directly" in view["allowed_actions"] and order.category == Category.CONSULTATION:
        kb_hits = await request.app[KNOWLEDGE].search(f"{order.subject} {order.content}", 3)
    # Who saw this order's full phone number: for supervisors, the other half of masking.
    audit = await request.app[AUDIT].list(subject=order.number) if actor.role in (Role.SUPERVISOR, Role.ADMIN) else []
    files = await request.app[BLOBS].for_order(order)
    # Only agents and supervisors see drafts: the orders merged into this one are theirs to follow.
    merged = await request.app[ORDERS].orders.merged_into(order.number) if actor.role != Role.UNIT_HANDLER else []
    return render(request, "order.html", status=status, order=view, units=units, calls=related, flash=flash, files=files,
                  flash_kind=flash_kind, reveal=reveal, preset=request.app[POLICY].preset(order.preset),
                  kb_hits=kb_hits, names={u["code"]: u["name"] for u in units}, audit=audit, merged=merged,
                  entered=entered or {}, duplicates=await duplicate_summaries(request, view),
                  merge_action=f"/orders/{order.number}/act/merge" if "merge" in view["allowed_actions"] else "",
                  dismiss_action=f"/orders/{order.number}/act/dismiss-duplicates"
                  if "dismiss-duplicates" in view["allowed_actions"] else "",
                  suggested_unit=suggested_unit(order, {str(u["code"]) for u in units}))


async def duplicate_summaries(request: web.Request, view: dict[str, Any]) -> list[dict[str, Any]]:
    """The order's possible duplicates as the pages list them (no phone numbers): from the view, so
    a role that may not learn other orders' numbers gets none."""
    numbers = [d["number"] for d in view.get("duplicate_candidates", [])]
    found = {o.number: o for o in await request.app[ORDERS].orders.get_many(numbers)}
    return [{"number": n, "status": found[n].status.value, "enterprise": found[n].enterprise.name,
             "subject": found[n].subject, "received_at": found[n].received_at} if n in found
            else {"number": n, "status": "", "enterprise": "", "subject": "", "received_at": None} for n in numbers]


def latest_suggestion(order: WorkOrder) -> dict[str, Any]:
    """The newest extraction suggestion on a draft (its source text and fields), or {}."""
    return next((e.data["suggestion"] for e in reversed(order.history)
                 if e.type == "amend-draft" and isinstance(e.data.get("suggestion"), dict)), None) or {}


def suggested_unit(order: WorkOrder, known: set[str]) -> str:
    """The unit the extraction suggested, preselected in the dispatch form (when it still exists)."""
    found = (latest_suggestion(order).get("fields") or {}).get("suggested_unit")
    code = str(found.get("value") or "") if isinstance(found, dict) else ""
    return code if code in known else ""


async def unit_names(request: web.Request) -> dict[str, str]:
    return {str(u["code"]): str(u["name"]) for u in await request.app[UNITS].list()}


async def related_calls(request: web.Request, order: WorkOrder) -> list[dict[str, Any]]:
    return list(await request.app[CALLS].repo.list(limit=20, offset=0, order_number=order.number, caller=None))


async def load(request: web.Request, number: str) -> WorkOrder:
    try:
        return await request.app[ORDERS].get(number, web_actor(request))
    except OrderNotFound:
        raise web.HTTPNotFound(text=f"没有工单 {number}，或您无权查看") from None


@routes.get("/orders/{number:\\d{8}-\\d{4}}")
async def show(request: web.Request) -> web.Response:
    order = await load(request, request.match_info["number"])
    done = request.query.get("done", "")
    return await order_page(request, order, flash=f"已完成：{labels.label(labels.ACTION, done)}" if done else "")


@routes.post("/orders/{number:\\d{8}-\\d{4}}/act/{action}")
async def act(request: web.Request) -> web.StreamResponse:
    actor = web_actor(request)
    number, action = request.match_info["number"], request.match_info["action"]
    form = await request.post()
    try:
        command = schemas.command(action, command_body(action, form), actor)
        order = await request.app[ORDERS].act(number, command, expected_version(form))
    except OrderNotFound:
        raise web.HTTPNotFound(text=f"没有工单 {number}，或您无权查看") from None
    except (WorksheetError, VersionConflict) as exc:
        current = await load(request, number)
        typed = {str(k): str(v) for k, v in form.items() if k not in ("_csrf", "version")} | {"_action": action}
        return await order_page(request, current, status=409 if isinstance(exc, VersionConflict | InvalidTransition)
                                else 422, flash=user_message(exc), flash_kind="error", entered=typed)
    target = str(form.get("next", "")) or f"/orders/{order.number}"
    raise web.HTTPSeeOther(f"{target}?done={action}" if target.startswith("/") else f"/orders/{order.number}")


@routes.post("/orders/{number:\\d{8}-\\d{4}}/reveal")
async def reveal(request: web.Request) -> web.Response:
    """The full phone number, once, for this person; every view is written to the audit log."""
    actor = web_actor(request)
    order = await load(request, request.match_info["number"])
    await request.app[AUDIT].record(actor, "reveal-phone", order.number, request.app[CLOCK]())
    return await order_page(request, order, reveal=True, flash="已显示完整号码（本次查看已记录）")


@routes.get("/orders")
async def search(request: web.Request) -> web.Response:
    """Find orders: by number, words in the subject or content, status. Unit handlers see their own."""
    actor = web_actor(request)
    q = request.query.get("q", "").strip()
    status = request.query.get("status", "")
    if ORDER_NUMBER.match(q):
        raise web.HTTPSeeOther(f"/orders/{q}")
    query = SearchQuery(text=q or None, status=[status] if status in STATUS_LABELS else None)
    orders, pager = await paged(request, lambda limit, offset: request.app[ORDERS].search(
        replace(query, limit=limit, offset=offset), actor), size=PAGE_SIZE)
    now, policy = request.app[CLOCK](), request.app[POLICY]
    rows = [schemas.order_view(o, policy, now, actor, full=False) for o in orders]
    return render(request, "orders.html", rows=rows, total=pager.total, q=q, status_filter=status,
                  statuses=STATUS_LABELS, unit_names=await unit_names(request), pager=pager)


@routes.get("/orders/new")
async def new_page(request: web.Request) -> web.Response:
    """``?call=<linkedid>``: the form for a live call, which fills itself as the caller speaks."""
    actor = web_actor(request, Role.AGENT, Role.SUPERVISOR)
    call = request.query.get("call")
    form = {"call": await claim_call(request, actor, call)} if call is not None else {}
    return _new_page(request, form=form)


@routes.post("/orders/new")
@streamed_form
async def create(request: web.Request) -> web.Response:
    """An agent registers what a caller says on the phone (or a letter, a walk-in) directly, with files."""
    actor = web_actor(request, Role.AGENT, Role.SUPERVISOR)
    try:
        form, files = await form_with_files(request, actor)
    except WorksheetError as exc:
        return _new_page(request, status=status_for(exc) or 422, error=user_message(exc), form={})
    body: dict[str, Any] = {key: form.get(key, "").strip() for key in ("channel", "category", "urgency", "subject",
                                                                       "content")}
    body["enterprise"] = {k: form.get(f"enterprise_{k}", "").strip() or None
                          for k in ("name", "credit_code", "contact_person", "phone")}
    body["enterprise"]["name"] = body["enterprise"]["name"] or ""
    body["attachments"] = [f.id for f in files]
    try:
        order = await request.app[ORDERS].create(schemas.new_order(body, request.app[CLOCK]()), actor)
    except WorksheetError as exc:
        return _new_page(request, status=422, error=user_message(exc), form=form)
    if call := form.get("call", "").strip():
        await link_call(request, actor, call, order.number)
    raise web.HTTPSeeOther(f"/orders/{order.number}?done=create")


def _new_page(request: web.Request, *, status: int = 200, error: str = "", form: dict[str, str]) -> web.Response:
    return render(request, "new_order.html", status=status, error=error, form=form, channels=list(Channel),
                  categories=list(Category), urgencies=list(Urgency), accepted=ACCEPTED,
                  upload_mb=request.app[BLOBS].upload_max >> 20)
