"""HTTP: the city's signed transfers (/api/city/v1/…, no bearer token: the HMAC signature is the
authentication), and the outbox of updates for supervisors (/api/v1/city/…).

While the channel is off (no secrets configured) the city routes answer 404, as if absent.
"""

from __future__ import annotations

import logging

from aiohttp import web

from callcenter.auth.http import require_roles
from callcenter.http.json_body import json_response, parse_json, path_int, query_int
from callcenter.http.problems import Conflict, NotFound
from callcenter.keys import AUDIT, CLOCK, ORDERS
from worksheet.errors import ValidationError
from worksheet.model import Role

from .delivery import CityUpdates
from .errors import CityBodyTooLarge, CityUnsupportedMedia
from .keys import CITY_CONFIG, CITY_TRANSFERS, CITY_UPDATES
from .outbox import STATUSES
from .schema import CITY_ORDER_ID, parse_transfer, transfer_view
from .signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
TRANSFERS_PATH = "/api/city/v1/transfers"
MAX_BODY = 256 << 10  # a transfer is text; attachments are not part of v1


async def _signed_body(request: web.Request) -> bytes:
    """The raw body, read at most MAX_BODY, after the signature over exactly those bytes is checked."""
    if CITY_CONFIG not in request.app:
        raise web.HTTPNotFound()
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise CityBodyTooLarge(f"the body is larger than {MAX_BODY >> 10} KiB")
    if request.content_type != "application/json":  # (a form would also be read, and spent, by the hygiene check)
        raise CityUnsupportedMedia("the body must be application/json (UTF-8)")
    chunks, size = [], 0
    while chunk := await request.content.read(64 << 10):  # a chunked body has no length to check first
        size += len(chunk)
        if size > MAX_BODY:
            raise CityBodyTooLarge(f"the body is larger than {MAX_BODY >> 10} KiB")
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        verify(request.app[CITY_CONFIG].secrets, request.headers.get(TIMESTAMP_HEADER),
               request.headers.get(SIGNATURE_HEADER), raw, request.app[CLOCK]())
    except Exception as exc:
        log.warning("refused %s %s: %s", request.method, request.path, getattr(exc, "error_id", exc))
        raise
    return raw


@routes.post(TRANSFERS_PATH)
async def receive_transfer(request: web.Request) -> web.Response:
    """201 with our order number for a new transfer; 200 with the same answer for a retry."""
    raw = await _signed_body(request)
    transfer = parse_transfer(parse_json(raw), request.app[CLOCK]())
    order, created = await request.app[CITY_TRANSFERS].receive(transfer)
    return json_response(transfer_view(order, created=created), status=201 if created else 200)


def _updates(request: web.Request) -> CityUpdates:
    if CITY_UPDATES not in request.app:
        raise NotFound("the city platform channel is not configured", error_id="city-off")
    return request.app[CITY_UPDATES]


@routes.get("/api/v1/city/transfers/{city_order_id}")
async def find_transfer(request: web.Request) -> web.Response:
    """Staff looking up the district's order for a city order number (the city phones about it)."""
    actor = require_roles(request, Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
    city_id = request.match_info["city_order_id"]
    number = (await request.app[CITY_TRANSFERS].order_number(city_id)
              if CITY_TRANSFERS in request.app and CITY_ORDER_ID.match(city_id) else None)
    if number is None:
        raise NotFound(f"no transfer with city order id {city_id[:64]!r}", error_id="city-transfer-not-found")
    order = await request.app[ORDERS].get(number, actor)
    return json_response({"city_order_id": city_id, "order_number": order.number, "status": order.status.value,
                          "href": f"/api/v1/orders/{order.number}", "page": f"/orders/{order.number}"})


@routes.get("/api/v1/city/outbox")
async def list_outbox(request: web.Request) -> web.Response:
    """Updates for the city, newest first: what was delivered, what waits, what failed and why
    (none while the channel is off)."""
    require_roles(request, Role.SUPERVISOR, Role.ADMIN, Role.AGENT)
    status = request.query.get("status") or None
    if status is not None and status not in STATUSES:
        raise ValidationError(f"status must be one of: {', '.join(STATUSES)}")
    limit, offset = query_int(request, "limit", 100, 1, 500), query_int(request, "offset", 0, 0, 10**9)
    if CITY_UPDATES not in request.app:
        return json_response({"items": [], "configured": False})
    rows = await request.app[CITY_UPDATES].outbox.list(
        order_number=request.query.get("order_number") or None, status=status, limit=limit, offset=offset)
    return json_response({"items": [r.to_json() for r in rows], "configured": True})


@routes.post("/api/v1/city/outbox/{id}/retry")
async def retry_update(request: web.Request) -> web.Response:
    """Send a failed update again (supervisors; audited)."""
    actor = require_roles(request, Role.SUPERVISOR, Role.ADMIN)
    updates, now = _updates(request), request.app[CLOCK]()
    row_id = path_int(request, "id")
    row = await updates.outbox.requeue(row_id, now) if row_id is not None else None
    if row is None:
        raise Conflict("only a failed update can be sent again", error_id="city-update-not-failed")
    await request.app[AUDIT].record(actor, "city-update-requeue", row.order_number, now, row.event_id)
    updates.wakeup.set()
    return json_response(row.to_json())
