"""One order: its details, deadlines and history, and the actions the signed-in role may take."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from aiohttp import web

from callcenter.blobs.errors import FileTooLarge, UnknownAttachment, UnsupportedFile, UploadQuotaExceeded
from callcenter.blobs.keys import BLOBS
from callcenter.blobs.sniff import ACCEPTED
from callcenter.db.errors import OrderNotFound, VersionConflict
from callcenter.http.hygiene import streamed_form
from callcenter.http.problems import status_for
from callcenter.keys import AUDIT, CALLS, CLOCK, ORDERS, POLICY, UNITS
from callcenter.knowledge.keys import KNOWLEDGE
from callcenter.orders import schemas
from callcenter.orders.services import SearchQuery
from worksheet.errors import InvalidTransition, NotPermitted, ValidationError, WindowClosed, WorksheetError
from worksheet.model import Category, Channel, Role, Urgency, WorkOrder

from . import labels
from .forms import command_body, expected_version
from .labels import STATUS as STATUS_LABELS
from .paging import paged
from .render import render
from .session import web_actor
from .uploads import form_with_files

routes = web.RouteTableDef()
PAGE_SIZE = 50
ORDER_NUMBER = re.compile(r"^\d{8}-\d{4}$")

# Errors whose whole explanation is fixed (nothing of the English detail is shown).
WHOLE: tuple[tuple[type[Exception], str], ...] = (
    (UnsupportedFile, f"不支持的文件类型：只接受{ACCEPTED}"), (FileTooLarge, "附件过大或过多，请压缩或分次上传"),
    (UploadQuotaExceeded, "今天上传但尚未登记的附件过多，请先登记工单"), (UnknownAttachment, "附件无效，请重新上传"),
)
# Chinese first, the domain's own (English) detail after it for the record.
ERRORS: tuple[tuple[type[Exception], str], ...] = (
    (VersionConflict, "工单已被他人更新，请刷新页面后重试"), (WindowClosed, "已超过时限，不能执行此操作"),
    (NotPermitted, "您无权执行此操作"), (InvalidTransition, "工单当前状态不允许此操作"),
    (ValidationError, "填写有误"), (WorksheetError, "操作未完成"),
)


_REQUIRED = re.compile(r"^(\S+) (?:is required|must be chosen)$")
_TOO_LONG = re.compile(r"^(\S+) is longer than (\d+) characters$")


def explain(message: str) -> str:
    """The common validation messages in Chinese; anything else as the domain wrote it."""
    if m := _REQUIRED.match(message):
        return f"请填写{labels.label(labels.FORM_FIELD, m.group(1))}"
    if m := _TOO_LONG.match(message):
        return f"{labels.label(labels.FORM_FIELD, m.group(1))}不能超过 {m.group(2)} 个字"
    if message.startswith("credit code"):
        return f"统一社会信用代码有误：{message}"
    return message


def error_text(exc: Exception) -> str:
    if whole := next((text for kind, text in WHOLE if isinstance(exc, kind)), None):
        return whole
    prefix = next(text for kind, text in ERRORS if isinstance(exc, kind))
    return f"{prefix}：{explain(str(exc))}"


async def order_page(request: web.Request, order: WorkOrder, *, status: int = 200, flash: str = "",
                     flash_kind: str = "ok", reveal: bool = False) -> web.Response:
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
    return render(request, "order.html", status=status, order=view, units=units, calls=related, flash=flash, files=files,
                  flash_kind=flash_kind, reveal=reveal, preset=request.app[POLICY].preset(order.preset),
                  kb_hits=kb_hits, names={u["code"]: u["name"] for u in units}, audit=audit)


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
        return await order_page(request, current, status=409 if isinstance(exc, VersionConflict | InvalidTransition)
                                else 422, flash=error_text(exc), flash_kind="error")
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
    web_actor(request, Role.AGENT, Role.SUPERVISOR)
    return _new_page(request, form={})


@routes.post("/orders/new")
@streamed_form
async def create(request: web.Request) -> web.Response:
    """An agent registers what a caller says on the phone (or a letter, a walk-in) directly, with files."""
    actor = web_actor(request, Role.AGENT, Role.SUPERVISOR)
    try:
        form, files = await form_with_files(request, actor)
    except WorksheetError as exc:
        return _new_page(request, status=status_for(exc) or 422, error=error_text(exc), form={})
    body: dict[str, Any] = {key: form.get(key, "").strip() for key in ("channel", "category", "urgency", "subject",
                                                                       "content")}
    body["enterprise"] = {k: form.get(f"enterprise_{k}", "").strip() or None
                          for k in ("name", "credit_code", "contact_person", "phone")}
    body["enterprise"]["name"] = body["enterprise"]["name"] or ""
    body["attachments"] = [f.id for f in files]
    try:
        order = await request.app[ORDERS].create(schemas.new_order(body, request.app[CLOCK]()), actor)
    except WorksheetError as exc:
        return _new_page(request, status=422, error=error_text(exc), form=form)
    raise web.HTTPSeeOther(f"/orders/{order.number}?done=create")


def _new_page(request: web.Request, *, status: int = 200, error: str = "", form: dict[str, str]) -> web.Response:
    return render(request, "new_order.html", status=status, error=error, form=form, channels=list(Channel),
                  categories=list(Category), urgencies=list(Urgency), accepted=ACCEPTED,
                  upload_mb=request.app[BLOBS].upload_max >> 20)
