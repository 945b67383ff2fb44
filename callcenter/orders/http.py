"""HTTP routes for orders: /api/v1/orders…"""

from __future__ import annotations

from aiohttp import web

from callcenter.auth.http import actor_of, require_roles
from callcenter.http.json_body import json_object, json_response, query_int
from callcenter.keys import AUDIT, CLOCK, ORDERS, POLICY
from callcenter.orders import schemas
from callcenter.orders.services import SearchQuery
from worksheet.errors import ValidationError
from worksheet.intake import parse_enum
from worksheet.model import CardColor, Category, Channel, Role, Status

routes = web.RouteTableDef()


def _view(request: web.Request, order, *, full: bool = True) -> dict:  # type: ignore[no-untyped-def]
    """The order as the API shows it; answered with json_response(mask=True), which masks the phone
    numbers everywhere in it (history included)."""
    app = request.app
    return schemas.order_view(order, app[POLICY], app[CLOCK](), actor_of(request), full=full)


@routes.post("/api/v1/orders")
async def create_order(request: web.Request) -> web.Response:
    actor = require_roles(request, Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
    body = await json_object(request)
    spec = schemas.new_order(body, request.app[CLOCK]())
    order = await request.app[ORDERS].create(spec, actor, wait=False)
    return json_response(_view(request, order), status=201, headers={"Location": f"/api/v1/orders/{order.number}"},
                         mask=True)


def _bool(raw: str | None, name: str) -> bool | None:
    if raw is None:
        return None
    if raw.lower() in ("1", "true", "yes"):
        return True
    if raw.lower() in ("0", "false", "no"):
        return False
    raise ValidationError(f"query parameter {name} must be true or false")


@routes.get("/api/v1/orders")
async def list_orders(request: web.Request) -> web.Response:
    q = request.query
    statuses = [parse_enum(Status, s, "status").value for s in q.get("status", "").split(",") if s] or None
    query = SearchQuery(
        status=statuses,
        unit=q.get("unit") or None,
        category=parse_enum(Category, q["category"], "category").value if q.get("category") else None,
        channel=parse_enum(Channel, q["channel"], "channel").value if q.get("channel") else None,
        card=parse_enum(CardColor, q["card"], "card").value if q.get("card") else None,
        text=q.get("q") or None,
        received_from=schemas.parse_datetime(q["from"], "from") if q.get("from") else None,
        received_to=schemas.parse_datetime(q["to"], "to") if q.get("to") else None,
        overdue=_bool(q.get("overdue"), "overdue"),
        limit=query_int(request, "limit", 50, 1, 500),
        offset=query_int(request, "offset", 0, 0, 10_000_000),
    )
    orders, total = await request.app[ORDERS].search(query, actor_of(request))
    return json_response({
        "items": [_view(request, o, full=False) for o in orders],
        "total": total, "limit": query.limit, "offset": query.offset,
    }, mask=True)


@routes.get("/api/v1/orders/{number}")
async def get_order(request: web.Request) -> web.Response:
    order = await request.app[ORDERS].get(request.match_info["number"], actor_of(request))
    return json_response(_view(request, order), headers={"ETag": f'"{order.version}"'}, mask=True)


def _expected_version(request: web.Request, body: dict) -> int | None:  # type: ignore[type-arg]
    if "version" in body:
        version = body["version"]
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValidationError("version must be an integer")
        return version
    header = request.headers.get("If-Match")
    if header is None:
        return None
    try:
        return int(header.strip().strip('"'))
    except ValueError:
        raise ValidationError('If-Match must be the order version, e.g. "7"') from None


@routes.post("/api/v1/orders/{number}/reveal-phone")
async def reveal_phone(request: web.Request) -> web.Response:
    """The order's full phone number, for someone who may see the order; every reveal is audited."""
    actor = actor_of(request)
    order = await request.app[ORDERS].get(request.match_info["number"], actor)
    await request.app[AUDIT].record(actor, "reveal-phone", order.number, request.app[CLOCK](), "api")
    return json_response({"number": order.number, "phone": order.enterprise.phone},
                         headers={"Cache-Control": "no-store"})


@routes.post("/api/v1/orders/{number}/{action}")
async def act(request: web.Request) -> web.Response:
    body = await json_object(request, optional=True)
    expected = _expected_version(request, body)
    command = schemas.command(request.match_info["action"], body, actor_of(request))
    order = await request.app[ORDERS].act(request.match_info["number"], command, expected, wait=False)
    return json_response(_view(request, order), headers={"ETag": f'"{order.version}"'}, mask=True)

