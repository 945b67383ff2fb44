"""The portal's routes under /portal: public (no login), each form CSRF-checked, every failure a
Chinese message next to its field. The one mapping of the portal's errors to HTTP is `STATUS`."""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web

from callcenter.blobs.errors import FileTooLarge
from callcenter.blobs.http import next_part, open_multipart, read_part
from callcenter.http.hygiene import check_text, is_streamed_form, streamed_form
from callcenter.http.json_body import json_response

from . import forms
from .errors import (
    ChallengeRequired,
    CodeRejected,
    FieldsInvalid,
    FormExpired,
    NotAllowedNow,
    PortalError,
    RateLimited,
    SmsDown,
)
from .keys import PORTAL
from .pages import CSRF_FIELD, check_form_token, client, render, secure
from .service import PortalService, order_view
from .signing import signed, unsigned

routes = web.RouteTableDef()
STATIC = Path(__file__).resolve().parent / "static"
TRACK_COOKIE = "zt_portal_track"
STATUS: dict[type[PortalError], int] = {FieldsInvalid: 422, CodeRejected: 422, ChallengeRequired: 422,
                                         NotAllowedNow: 409, FormExpired: 403, RateLimited: 429, SmsDown: 503}
MAX_FIELD = 32 << 10
MAX_FIELDS = 40
LOOKUPS = web.AppKey("portal_lookups", dict[str, deque[float]])
LOOKUPS_PER_10S = 20  # name suggestions per address, per process (a keystroke each)


def _portal(request: web.Request) -> PortalService:
    """The portal service; 404 while the portal is off (ZHITONG_PORTAL)."""
    portal = request.app.get(PORTAL)
    if portal is None:
        raise web.HTTPNotFound(text="页面不存在")
    return portal


def status_for(exc: PortalError) -> int:
    return next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 422)


def field_errors(exc: PortalError) -> dict[str, str]:
    if isinstance(exc, FieldsInvalid):
        return exc.errors
    return {exc.field or "form": exc.message}


async def read_form(request: web.Request) -> tuple[dict[str, str], list[tuple[str, bytes]]]:
    """Text fields and chosen files of a form, bounded; the files only held in memory. Only the
    submit form streams (`streamed_form`); any other form was read and checked by the hygiene
    middleware already, and files sent to it are ignored."""
    if not is_streamed_form(request):
        form = await request.post()
        return {k: v for k, v in form.items() if isinstance(v, str)}, []
    fields: dict[str, str] = {}
    files: list[tuple[str, bytes]] = []
    reader = await open_multipart(request)
    while (part := await next_part(reader)) is not None:
        if not isinstance(part, BodyPartReader) or not part.name:
            continue
        if part.filename is None:
            if len(fields) >= MAX_FIELDS:
                raise FieldsInvalid({"form": "表单内容过多。"})
            value = (await read_part(part, MAX_FIELD)).decode("utf-8", "replace")
            check_text(part.name, "the name of a form field")
            check_text(value, f"form field {part.name!r}")
            fields[part.name] = value
        elif part.filename:  # an empty file input sends a part without a name
            if len(files) == forms.MAX_FILES:
                raise FieldsInvalid({"files": f"最多上传 {forms.MAX_FILES} 个附件。"})
            try:
                data = await read_part(part, forms.MAX_FILE_BYTES)
            except FileTooLarge:
                raise FieldsInvalid({"files": f"每个附件不能超过 {forms.MAX_FILE_BYTES >> 20} MB。"}) from None
            if data:
                files.append((part.filename, data))
    return fields, files


async def _challenge(request: web.Request) -> Any:
    return await _portal(request).guard.challenge_for(client(request))


# --- submitting --------------------------------------------------------------------------

@routes.get("/portal")
async def submit_page(request: web.Request) -> web.Response:
    return await render(request, "submit.html", form={}, notice="", challenge=await _challenge(request))


@routes.post("/portal")
@streamed_form
async def submit(request: web.Request) -> web.StreamResponse:
    fields: dict[str, str] = {}
    try:
        portal, address, files = await _admitted_form(request, fields)
        if fields.get("action") == "code":
            errors: dict[str, str] = {}
            phone = forms.phone_field(errors, fields)
            if errors:
                raise FieldsInvalid(errors)
            await portal.codes.send(phone, "submit", address)
            return await _form_page(request, "submit.html", fields,
                                    notice=f"验证码已发送至您填写的手机号码，{_minutes(request)}分钟内有效。")
        form = forms.submission(fields)
        uploads = forms.uploads(files)
        draft = await portal.submit(form, uploads, fields.get("code", ""), address)
    except PortalError as exc:
        return await _form_page(request, "submit.html", fields, failed=exc)
    token = signed(await portal.store.secret(), "done", draft.number)
    raise web.HTTPSeeOther(f"/portal/done?t={token}")


async def _admitted_form(request: web.Request, fields: dict[str, str]) -> tuple[PortalService, str, list[Any]]:
    """Read a form into ``fields`` (kept for the page if anything fails), check its token and let the
    guard decide whether this address may go on: (portal, address, files)."""
    portal, address = _portal(request), client(request)
    read, files = await read_form(request)
    fields.update(read)
    await check_form_token(request, fields.get(CSRF_FIELD))
    await portal.guard.admit(address, fields.get("challenge_token"), fields.get("challenge"))
    return portal, address, files


async def _form_page(request: web.Request, template: str, fields: dict[str, str], *, notice: str = "",
                     failed: PortalError | None = None) -> web.Response:
    """The form again, as typed, with the notice or each error next to its field."""
    return await render(request, template, status=status_for(failed) if failed else 200,
                        errors=field_errors(failed) if failed else None, form=_kept(fields), notice=notice,
                        challenge=await _challenge(request))


@routes.get("/portal/done")
async def done(request: web.Request) -> web.Response:
    number = unsigned(await _portal(request).store.secret(), "done", request.query.get("t"))
    if number is None:
        raise web.HTTPSeeOther("/portal")
    return await render(request, "done.html", number=number)


@routes.get("/portal/enterprises")
async def enterprise_names(request: web.Request) -> web.Response:
    """At most five directory names for what was typed (two characters or more)."""
    if not _lookup_allowed(request.app, client(request)):
        return json_response({"names": [], "error": "查询过于频繁，请稍后再试。"}, status=429)
    names = await _portal(request).suggest(request.query.get("q", ""))
    return json_response({"names": names})


def _lookup_allowed(app: web.Application, address: str) -> bool:
    """A sliding 10-second window per address, in this process (no database write per keystroke)."""
    recent = app[LOOKUPS]
    now = time.monotonic()
    if len(recent) > 10_000:
        recent.clear()  # a flood of addresses: forget them rather than grow without bound
    times = recent.setdefault(address, deque())
    while times and now - times[0] > 10:
        times.popleft()
    if len(times) >= LOOKUPS_PER_10S:
        return False
    times.append(now)
    return True


# --- tracking ----------------------------------------------------------------------------

@routes.get("/portal/track")
async def track_page(request: web.Request) -> web.Response:
    return await render(request, "track.html", form={}, notice="", challenge=await _challenge(request))


@routes.post("/portal/track")
async def track(request: web.Request) -> web.StreamResponse:
    fields: dict[str, str] = {}
    try:
        portal, address, _ = await _admitted_form(request, fields)
        number, phone = forms.tracking(fields)
        if fields.get("action") == "code":
            await portal.send_tracking_code(number, phone, address)
            return await _form_page(request, "track.html", fields,
                                    notice=f"如工单编号与手机号码一致，验证码已发送至该手机，{_minutes(request)}分钟内有效。")
        cookie = await portal.open_tracking(number, phone, fields.get("code", ""), address)
    except PortalError as exc:
        return await _form_page(request, "track.html", fields, failed=exc)
    response = web.HTTPSeeOther("/portal/order")
    response.set_cookie(TRACK_COOKIE, cookie, httponly=True, samesite="Strict", secure=secure(request),
                        path="/portal", max_age=30 * 60)
    raise response


@routes.get("/portal/order")
async def order_page(request: web.Request) -> web.Response:
    return await _order_page(request)


async def _order_page(request: web.Request, *, status: int = 200, errors: dict[str, str] | None = None,
                      form: dict[str, str] | None = None) -> web.Response:
    portal = _portal(request)
    order = await portal.tracked(request.cookies.get(TRACK_COOKIE))
    if order is None:
        raise web.HTTPSeeOther("/portal/track")
    notice = {"supplement": "补充内容已提交，承办人员会看到。", "rate": "感谢您的评价！"}.get(request.query.get("done", ""), "")
    return await render(request, "order.html", status=status, errors=errors, order=order_view(order, portal.orders),
                        notice=notice, form=form or {})


@routes.post("/portal/order/{action:supplement|rate}")
async def order_action(request: web.Request) -> web.StreamResponse:
    portal = _portal(request)
    fields: dict[str, str] = {}
    try:
        fields, _ = await read_form(request)
        await check_form_token(request, fields.get(CSRF_FIELD))
        order = await portal.tracked(request.cookies.get(TRACK_COOKIE))
        if order is None:
            raise web.HTTPSeeOther("/portal/track")
        action = request.match_info["action"]
        if action == "supplement":
            await portal.add_supplement(order, forms.supplement(fields))
        else:
            await portal.rate(order, *forms.rating(fields))
    except PortalError as exc:
        return await _order_page(request, status=status_for(exc), errors=field_errors(exc), form=_kept(fields))
    raise web.HTTPSeeOther(f"/portal/order?done={action}")


@routes.post("/portal/leave")
async def leave(request: web.Request) -> web.StreamResponse:
    response = web.HTTPSeeOther("/portal/track")
    response.del_cookie(TRACK_COOKIE, path="/portal")
    raise response


def _kept(fields: dict[str, str]) -> dict[str, str]:
    """What the enterprise typed, shown again after an error (never the code or the challenge)."""
    return {k: v for k, v in fields.items() if k not in (CSRF_FIELD, "code", "challenge", "challenge_token", "action")}


def _minutes(request: web.Request) -> int:
    return int(_portal(request).guard.limits.code_lifetime.total_seconds() // 60)


def setup(app: web.Application) -> None:
    app[LOOKUPS] = {}
    app.router.add_routes(routes)
    app.router.add_static("/portal/static", STATIC, append_version=True)
