"""The agent's workspace (受理工作台): live calls with a screen pop, the draft queue, and a draft's
evidence (transcript or text with each extracted field marked, the recording) beside its form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from callcenter.blobs.download import send_blob
from callcenter.blobs.keys import BLOBS
from callcenter.blobs.repository import Blob
from callcenter.db.errors import VersionConflict
from callcenter.keys import AUDIT, CALLS, CLOCK, ORDERS, POLICY, SPEECH, UNITS
from callcenter.orders import schemas
from callcenter.orders.services import SearchQuery
from callcenter.sms.phone import phone_key
from worksheet import commands as c
from worksheet.errors import WorksheetError
from worksheet.model import OPEN_STATUSES, Category, Role, Status, Urgency, WorkOrder

from .forms import draft_changes, expected_version
from .messages import user_message
from .paging import Pager, paged
from .render import render
from .session import web_actor
from .views_orders import duplicate_summaries, latest_suggestion, load

routes = web.RouteTableDef()
# Decisions after which the order is still a draft, and what the page then says.
STAYS_A_DRAFT = {"amend": "已保存修改，并已重新检查疑似重复", "dismiss": "已排除该疑似重复，今后不再提示"}
NEW_DUPLICATES = "在您填写期间，系统发现了新的疑似重复工单（见左侧列表），请核对后再提交；您填写的内容已保留。"
AGENTS = (Role.AGENT, Role.SUPERVISOR)
ALL_STATUSES = [s.value for s in Status]


async def screen_pop(request: web.Request, call: dict[str, Any]) -> dict[str, Any]:
    """Who is calling: their open and past orders by number (the enterprise comes with them)."""
    caller = str(call.get("caller") or "")
    past = []
    if caller:
        since = request.app[CLOCK]() - timedelta(days=365)
        past = await request.app[ORDERS].orders.find_recent(since=since, enterprise_name=None,
                                                            phone=phone_key(caller), statuses=ALL_STATUSES)
    enterprise = next((p.enterprise_name for p in past if p.enterprise_name), "")
    entry = None
    if caller:  # the enterprise directory knows registered contacts' mobiles
        directory = await request.app[SPEECH].extract.directory()
        key = phone_key(caller)
        entry = next((e for e in (directory.entries if directory else ()) if e.mobile and phone_key(e.mobile) == key),
                     None)
        enterprise = entry.name if entry else enterprise
    return {"call": call, "enterprise": enterprise, "entry": entry, "orders": past[:10],
            "open": [p for p in past if p.status in OPEN_STATUSES]}


async def live_calls(request: web.Request) -> list[dict[str, Any]]:
    tracker = request.app[CALLS].tracker
    # Our survey callbacks are originated for an order; everything else in progress is a caller.
    calls = [r for r in tracker.records() if not r.get("ended_at") and not (r.get("originate") and r.get("order_number"))]
    return [await screen_pop(request, call) for call in calls[-10:]]


async def _drafts(request: web.Request) -> tuple[list[WorkOrder], Pager]:
    """The draft queue, newest first, a page at a time (the links lead to the workspace)."""
    actor = web_actor(request, *AGENTS)
    return await paged(request, lambda limit, offset: request.app[ORDERS].search(
        SearchQuery(status=[Status.DRAFT.value], limit=limit, offset=offset), actor), path="/agent", anchor="drafts")


@routes.get("/agent")
async def workspace(request: web.Request) -> web.Response:
    drafts, pager = await _drafts(request)
    return render(request, "agent.html", drafts=drafts, total=pager.total, pager=pager, calls=await live_calls(request))


@routes.get("/agent/drafts")
async def drafts_fragment(request: web.Request) -> web.Response:
    drafts, pager = await _drafts(request)
    return render(request, "drafts_panel.html", drafts=drafts, total=pager.total, pager=pager)


@routes.get("/agent/calls")
async def calls_fragment(request: web.Request) -> web.Response:
    """The live-calls panel alone: the page's script swaps it in when a call starts or ends."""
    web_actor(request, *AGENTS)
    return render(request, "calls_panel.html", calls=await live_calls(request))


# The draft form's inputs that extracted fields fill.
FORM_INPUTS = {"category": "category", "urgency": "urgency", "enterprise_name": "enterprise_name",
               "contact_person": "enterprise_contact_person", "contact_phone": "enterprise_phone", "subject": "subject"}


def _unsure_inputs(fields: dict[str, Any], shown: dict[str, Any]) -> frozenset[str]:
    """The form inputs showing an extracted value that is only a suggestion (not calibrated
    confident): the agent checks these; a confident one carries no mark, nor does an input showing
    something else (a value the agent typed, or one the extractor was too unsure to fill in).
    Suggestions stored before confidence was calibrated say nothing: every value is a suggestion."""
    return frozenset(FORM_INPUTS[name] for name, found in fields.items()
                     if name in FORM_INPUTS and isinstance(found, dict) and found.get("value") not in (None, "")
                     and found.get("confident") is not True and str(found["value"]) == str(shown.get(FORM_INPUTS[name])))


def _form_values(view: dict[str, Any]) -> dict[str, Any]:
    enterprise = view.get("enterprise") or {}
    return {"category": view.get("category"), "urgency": view.get("urgency"), "subject": view.get("subject"),
            "enterprise_name": enterprise.get("name"), "enterprise_contact_person": enterprise.get("contact_person"),
            "enterprise_phone": enterprise.get("phone")}


def _evidence(order: WorkOrder, files: list[Blob], shown: dict[str, Any]) -> dict[str, Any]:
    """The newest suggestion's source text and fields, and the recording if there is one."""
    suggestion = latest_suggestion(order)
    transcript = suggestion.get("transcript") or {}
    text = transcript.get("text") if isinstance(transcript, dict) else None
    audio = [f.id for f in files if f.kind == "recording" and f.area != "rejected"]
    fields = suggestion.get("fields") or {}
    return {"text": text if text is not None else suggestion.get("text") or "", "fields": fields,
            "unsure": _unsure_inputs(fields, shown) if isinstance(fields, dict) else frozenset(),
            "label": suggestion.get("label") or ("转写原文" if text is not None else "来源文本"),
            "source": suggestion.get("source") or "", "audio": audio[0] if audio else None,
            "empty": bool(suggestion.get("empty"))}


async def draft_page(request: web.Request, order: WorkOrder, *, status: int = 200, flash: str = "",
                     flash_kind: str = "ok", typed: dict[str, Any] | None = None) -> web.Response:
    """``typed``: the refused confirmation's changes, shown in the form instead of the stored draft."""
    actor = web_actor(request, *AGENTS)
    view = schemas.order_view(order, request.app[POLICY], request.app[CLOCK](), actor)
    typed = typed or {}
    view.update({k: v for k, v in typed.items() if k != "enterprise"})
    view["enterprise"] = {**view["enterprise"], **typed.get("enterprise", {})}
    if order.enterprise.phone:  # the form shows the number in full so it can be corrected: a view to audit
        await request.app[AUDIT].record(actor, "view-phone", order.number, request.app[CLOCK](), "draft form")
    names = {str(u["code"]): str(u["name"]) for u in await request.app[UNITS].list()}
    files = await request.app[BLOBS].for_order(order)
    base = f"/agent/drafts/{order.number}"
    return render(request, "draft.html", status=status, order=view, evidence=_evidence(order, files, _form_values(view)), files=files,
                  unit_names=names, duplicates=await duplicate_summaries(request, view),
                  merge_action=f"{base}/merge", dismiss_action=f"{base}/dismiss",
                  categories=list(Category), urgencies=list(Urgency), flash=flash, flash_kind=flash_kind)


@routes.get("/agent/drafts/{number}")
async def draft(request: web.Request) -> web.Response:
    web_actor(request, *AGENTS)
    order = await load(request, request.match_info["number"])
    if order.status != Status.DRAFT:
        raise web.HTTPSeeOther(f"/orders/{order.number}")
    done = STAYS_A_DRAFT.get(request.query.get("done", ""), "")
    return await draft_page(request, order, flash=done)


@routes.post("/agent/drafts/{number}/{decision}")
async def decide(request: web.Request) -> web.StreamResponse:
    """confirm (with the agent's edits), save the edits (amend), merge into an existing order,
    dismiss a possible duplicate, or discard."""
    actor = web_actor(request, *AGENTS)
    number, decision = request.match_info["number"], request.match_info["decision"]
    form = await request.post()
    commands: dict[str, Any] = {
        "confirm": lambda: c.Confirm(actor=actor, changes=draft_changes(form), note=str(form.get("note", ""))),
        "amend": lambda: c.AmendDraft(actor=actor, changes=draft_changes(form), note=str(form.get("note", ""))),
        "merge": lambda: c.Merge(actor=actor, into=str(form.get("into", "")).strip()),
        "dismiss": lambda: c.DismissDuplicates(actor=actor, numbers=tuple(str(n) for n in form.getall("numbers", []))),
        "discard": lambda: c.Discard(actor=actor, reason=str(form.get("reason", ""))),
    }
    if decision not in commands:
        raise web.HTTPNotFound(text="未知操作")
    if decision == "confirm" and "shown_duplicates" in form:
        # A later order found to duplicate this one links itself to it without changing its
        # version: the form says which duplicates the agent saw, and any new one is shown first.
        current = await load(request, number)
        if set(current.suspected_duplicates) - set(str(form["shown_duplicates"]).split(",")):
            return await draft_page(request, current, status=409, flash=NEW_DUPLICATES, flash_kind="error",
                                    typed=draft_changes(form))
    try:
        order = await request.app[ORDERS].act(number, commands[decision](), expected_version(form))
    except (WorksheetError, VersionConflict) as exc:
        current = await load(request, number)
        flash = user_message(exc)
        if isinstance(exc, VersionConflict) and _only_flagged_since(current, exc.expected):
            flash = NEW_DUPLICATES  # what changed is shown beside the form, with what the agent typed
        return await draft_page(request, current, status=409 if isinstance(exc, VersionConflict) else 422,
                                flash=flash, flash_kind="error",
                                typed=draft_changes(form) if decision in ("confirm", "amend") else None)
    if decision in STAYS_A_DRAFT:  # back to the draft, where the agent goes on
        raise web.HTTPSeeOther(f"/agent/drafts/{order.number}?done={decision}")
    raise web.HTTPSeeOther(f"/orders/{order.number}?done={decision}")


def _only_flagged_since(order: WorkOrder, version: int | None) -> bool:
    """True when all that happened since the agent's form was loaded is new possible duplicates."""
    since = order.history[version:] if version is not None else ()
    return bool(since) and all(e.type == "flag-duplicates" for e in since)


@routes.get("/orders/{number}/attachments/{blob_id}")
async def attachment(request: web.Request) -> web.StreamResponse:
    """A file of an order the person may see: only an id the order lists, never a path."""
    order = await load(request, request.match_info["number"])
    blob, opened = await request.app[BLOBS].open(order, request.match_info["blob_id"])
    return await send_blob(request, blob, opened)
