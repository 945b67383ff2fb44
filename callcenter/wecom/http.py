"""HTTP: WeCom's callback (URL verification and messages) and the admins' robots and senders.

The callback lives outside /api/ (no bearer token: WeCom signs and encrypts instead); it answers
404 until the channel is configured.
"""

from __future__ import annotations

import logging

from aiohttp import web

from callcenter.auth.http import require_roles
from callcenter.http.json_body import json_object, json_response
from callcenter.http.problems import BadRequest, NotFound
from callcenter.keys import AUDIT, CLOCK, UNITS
from worksheet.errors import ValidationError
from worksheet.model import Role

from .callback import message_fields, opened, signed_params
from .config import CallbackConfig
from .keys import WECOM_CALLBACK, WECOM_INBOUND, WECOM_NOTIFIER, WECOM_SENDERS
from .robots import LIAISON_TARGET, unit_target
from .xml import MAX_XML_BYTES

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
CALLBACK_PATH = "/webhooks/wecom/callback"


def _config(request: web.Request) -> CallbackConfig:
    config = request.app[WECOM_CALLBACK]
    if config.crypto is None:
        raise NotFound("the WeCom callback is not configured", error_id="wecom-off")
    return config


@routes.get(CALLBACK_PATH)
async def verify_url(request: web.Request) -> web.Response:
    """WeCom's URL check when the callback is saved in its console: decrypt echostr, echo it."""
    config = _config(request)
    sig, ts, nonce = signed_params(dict(request.query), config, request.app[CLOCK]())
    echostr = request.query.get("echostr", "")
    if not echostr or len(echostr) > 1024:
        raise BadRequest("echostr is missing or too long", error_id="wecom-bad-request")
    return web.Response(text=opened(config, sig, ts, nonce, echostr).decode("utf-8", "replace"))


@routes.post(CALLBACK_PATH)
async def receive(request: web.Request) -> web.Response:
    config = _config(request)
    if request.content_length is not None and request.content_length > MAX_XML_BYTES:
        raise BadRequest("the callback body is too large", error_id="body-too-large")
    body = await request.content.read(MAX_XML_BYTES + 1)
    if len(body) > MAX_XML_BYTES:
        raise BadRequest("the callback body is too large", error_id="body-too-large")
    fields = message_fields(config, dict(request.query), body, request.app[CLOCK]())
    outcome = await request.app[WECOM_INBOUND].handle(fields)
    log.info("WeCom callback %s from %s: %s", fields.get("MsgType", "?"), fields.get("FromUserName", "?")[:64], outcome)
    return web.Response(text="success")


async def _target(request: web.Request) -> str:
    target = request.match_info["target"]
    if target == LIAISON_TARGET:
        return target
    if target.startswith("unit:") and await request.app[UNITS].get(target[5:]) is not None:
        return unit_target(target[5:])
    raise ValidationError("机器人对象应为“unit:单位编码”（已有单位）或“liaison”（帮扶专员群）")


@routes.get("/api/v1/wecom/robots")
async def list_robots(request: web.Request) -> web.Response:
    require_roles(request, Role.ADMIN, Role.SUPERVISOR)
    return json_response({"robots": await request.app[WECOM_NOTIFIER].keys.masked()})


@routes.put("/api/v1/wecom/robots/{target}")
async def set_robot(request: web.Request) -> web.Response:
    actor = require_roles(request, Role.ADMIN)
    target = await _target(request)
    key = (await json_object(request)).get("key")
    if not isinstance(key, str):
        raise ValidationError("key is a required string")
    now = request.app[CLOCK]()
    await request.app[WECOM_NOTIFIER].keys.set(target, key, actor.id, now)
    await request.app[AUDIT].record(actor, "wecom-robot-set", f"wecom-robot:{target}", now)  # never the key
    return json_response({"target": target, "saved": True})


@routes.delete("/api/v1/wecom/robots/{target}")
async def remove_robot(request: web.Request) -> web.Response:
    actor = require_roles(request, Role.ADMIN)
    target = await _target(request)
    if not await request.app[WECOM_NOTIFIER].keys.remove(target):
        raise NotFound("no robot for this target")
    await request.app[AUDIT].record(actor, "wecom-robot-remove", f"wecom-robot:{target}", request.app[CLOCK]())
    return json_response({"target": target, "removed": True})


@routes.get("/api/v1/wecom/outbox")
async def list_outbox(request: web.Request) -> web.Response:
    require_roles(request, Role.ADMIN, Role.SUPERVISOR)
    messages = await request.app[WECOM_NOTIFIER].outbox.list(order_number=request.query.get("order_number"))
    return json_response({"messages": [m.to_json() for m in messages]})


@routes.get("/api/v1/wecom/senders")
async def list_senders(request: web.Request) -> web.Response:
    require_roles(request, Role.ADMIN, Role.SUPERVISOR)
    return json_response({"senders": await request.app[WECOM_SENDERS].all()})


@routes.put("/api/v1/wecom/senders/{userid}")
async def set_sender(request: web.Request) -> web.Response:
    actor = require_roles(request, Role.ADMIN)
    enterprise = (await json_object(request)).get("enterprise")
    if not isinstance(enterprise, str):
        raise ValidationError("enterprise is a required string (name or credit code)")
    now = request.app[CLOCK]()
    userid = request.match_info["userid"]
    await request.app[WECOM_SENDERS].set(userid, enterprise, now)
    await request.app[AUDIT].record(actor, "wecom-sender-set", f"wecom-sender:{userid}", now, enterprise[:100])
    return json_response({"userid": userid, "enterprise": enterprise})


@routes.delete("/api/v1/wecom/senders/{userid}")
async def remove_sender(request: web.Request) -> web.Response:
    actor = require_roles(request, Role.ADMIN)
    userid = request.match_info["userid"]
    if not await request.app[WECOM_SENDERS].remove(userid):
        raise NotFound("no such WeCom sender")
    await request.app[AUDIT].record(actor, "wecom-sender-remove", f"wecom-sender:{userid}", request.app[CLOCK]())
    return json_response({"userid": userid, "removed": True})
