"""HTTP: Twilio's webhooks (inbound SMS, delivery status) and the outbox/inbox for supervisors.

The webhooks live outside /api/ (no bearer token: Twilio signs its requests instead). A missing
or wrong X-Twilio-Signature is answered 403 and nothing is stored.
"""

from __future__ import annotations

import hmac
import logging

from aiohttp import web

from callcenter.auth.http import require_roles
from callcenter.http.hygiene import raw_form, remove_unstorable
from callcenter.http.json_body import json_response, json_value, path_int, query_int
from callcenter.http.problems import BadRequest, Conflict, Forbidden, NotFound
from callcenter.keys import AUDIT, CLOCK, SMS, SMS_INBOUND, SMS_WEBHOOK
from worksheet.errors import ValidationError
from worksheet.model import Role

from .aliyun_adapter import parse_report_batch
from .inbox import DEAD_LETTER, OUTCOMES
from .outbox import STATUSES as OUTBOX_STATUSES
from .webhooks import SIGNATURE_HEADER, WebhookError, is_valid_signature, parse_inbound, parse_status_callback

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
INBOUND_PATH = "/webhooks/twilio/sms"
STATUS_PATH = "/webhooks/twilio/sms-status"
ALIYUN_REPORT_PATH = "/webhooks/aliyun/sms-report"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


async def _signed_form(request: web.Request) -> dict[str, str]:
    config = request.app[SMS_WEBHOOK]
    form = {key: value for key, value in (await request.post()).items() if isinstance(value, str)}
    # Behind a proxy the app sees its own URL; Twilio signed the public one.
    url = f"{config.public_url}{request.path_qs}" if config.public_url else str(request.url)
    if not is_valid_signature(config.auth_token, url, form, request.headers.get(SIGNATURE_HEADER)):
        log.warning("rejected %s: bad or missing %s", request.path, SIGNATURE_HEADER)
        raise Forbidden("the request signature is missing or wrong", error_id="bad-signature")
    return form


@routes.post(INBOUND_PATH)
@raw_form
async def inbound_sms(request: web.Request) -> web.Response:
    """The signature is checked over the form exactly as Twilio sent it; only then are characters no
    database can store (NUL) removed, and the removal noted on the stored message: a citizen's
    message is never refused for them."""
    form = await _signed_form(request)
    cleaned: dict[str, str] = {}
    removed: list[str] = []
    for key, value in form.items():
        cleaned[key], count = remove_unstorable(value)
        if count:
            removed.append(f"{count} from {remove_unstorable(key)[0][:20]}")
    try:
        sms = parse_inbound(cleaned)
    except WebhookError as exc:
        raise BadRequest(str(exc), error_id=exc.error_id) from None
    note = f"unstorable characters (NUL) removed: {', '.join(removed)}" if removed else ""
    await request.app[SMS_INBOUND].receive(sms, note=note)
    return web.Response(text=EMPTY_TWIML, content_type="text/xml")


@routes.post(STATUS_PATH)
async def sms_status(request: web.Request) -> web.Response:
    form = await _signed_form(request)
    try:
        status = parse_status_callback(form)
    except WebhookError as exc:
        raise BadRequest(str(exc), error_id=exc.error_id) from None
    await request.app[SMS].on_status(status)
    return web.Response(status=204)


def _page(request: web.Request) -> tuple[int, int]:
    return query_int(request, "limit", 100, 1, 500), query_int(request, "offset", 0, 0, 10**9)


@routes.post(ALIYUN_REPORT_PATH + "/{token}")
async def aliyun_report(request: web.Request) -> web.Response:
    """Aliyun's SmsReport push (a JSON array). Aliyun does not sign it, so the URL carries a secret
    token (ZHITONG_ALIYUN_REPORT_TOKEN); a wrong one is a 404, as if the route did not exist."""
    expected = request.app[SMS_WEBHOOK].aliyun_token
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500).
    if not expected or not hmac.compare_digest(request.match_info["token"].encode(), expected.encode()):
        raise web.HTTPNotFound()
    try:
        statuses = parse_report_batch(await json_value(request))
    except (ValueError, WebhookError) as exc:
        raise BadRequest(f"not an SmsReport batch: {exc}", error_id="sms-webhook-invalid") from None
    for status in statuses:
        await request.app[SMS].on_status(status)
    return web.json_response({"code": 0, "msg": "成功"})


@routes.get("/api/v1/sms/outbox")
async def list_outbox(request: web.Request) -> web.Response:
    require_roles(request, Role.SUPERVISOR, Role.ADMIN, Role.AGENT)
    limit, offset = _page(request)
    status = request.query.get("status") or None
    if status is not None and status not in OUTBOX_STATUSES:  # a typo would otherwise look like "none of those"
        raise ValidationError(f"status must be one of: {', '.join(OUTBOX_STATUSES)}")
    items = await request.app[SMS].outbox.list(order_number=request.query.get("order_number") or None,
                                               status=status, limit=limit, offset=offset)
    return json_response({"items": [m.to_json() for m in items]})


@routes.get("/api/v1/sms/inbound")
async def list_inbound(request: web.Request) -> web.Response:
    """``outcome=dead_letter``: the messages that could not be processed; ``pending``: not yet settled."""
    require_roles(request, Role.SUPERVISOR, Role.ADMIN, Role.AGENT)
    limit, offset = _page(request)
    outcome = request.query.get("outcome") or None
    if outcome is not None and outcome not in OUTCOMES:
        raise ValidationError(f"outcome must be one of: {', '.join(OUTCOMES)}")
    items = await request.app[SMS_INBOUND].list(limit=limit, offset=offset, outcome=outcome)
    return json_response({"items": items})


@routes.post("/api/v1/sms/inbound/{id}/retry")
async def retry_inbound(request: web.Request) -> web.Response:
    """Send a dead-lettered message back for processing (audited)."""
    actor = require_roles(request, Role.SUPERVISOR, Role.ADMIN)
    row_id = path_int(request, "id")
    service, now = request.app[SMS_INBOUND], request.app[CLOCK]()
    row = await service.get(row_id) if row_id is not None else None
    if row is None:
        raise NotFound("no such inbound message", error_id="sms-not-found")
    if row["outcome"] != DEAD_LETTER or (row := await service.requeue(row["id"], now)) is None:
        raise Conflict("only a message whose attempts ran out can be sent back", error_id="sms-not-dead-letter")
    await request.app[AUDIT].record(actor, "sms-requeue", f"sms:{row['message_sid']}", now)
    request.app[SMS].wakeup.set()
    return json_response(row)
