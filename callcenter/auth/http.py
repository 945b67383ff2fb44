"""Bearer-token authentication middleware and role guards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from callcenter.auth.services import BadCredentials
from callcenter.auth.tokens import well_formed
from callcenter.http.json_body import json_object, json_response
from callcenter.http.problems import Forbidden, Unauthorized
from callcenter.keys import AUTH
from worksheet.errors import ValidationError
from worksheet.model import Actor, Role

ACTOR = web.RequestKey("actor", Actor)
PUBLIC = frozenset({("GET", "/api/v1/openapi.json"), ("POST", "/api/v1/auth/token"), ("GET", "/healthz")})

routes = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if (request.method, request.path) in PUBLIC or not request.path.startswith("/api/"):
        return await handler(request)
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("a bearer token is required (POST /api/v1/auth/token)")
    if not well_formed(token):  # never echoed: it may be a real token mangled on the way
        raise Unauthorized("the bearer token is malformed")
    actor = await request.app[AUTH].actor_for_token(token)
    if actor is None:
        raise Unauthorized("the token is unknown or revoked")
    request[ACTOR] = actor
    return await handler(request)


def actor_of(request: web.Request) -> Actor:
    return request[ACTOR]


def actor_view(actor: Actor) -> dict[str, str | None]:
    return {"username": actor.id, "role": actor.role.value, "unit": actor.unit}


def require_roles(request: web.Request, *roles: Role) -> Actor:
    actor = actor_of(request)
    if actor.role not in roles:
        raise Forbidden(f"this needs one of the roles: {', '.join(r.value for r in roles)}")
    return actor


@routes.post("/api/v1/auth/token")
async def issue_token(request: web.Request) -> web.Response:
    body = await json_object(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise ValidationError("username and password are required strings")
    try:
        session = await request.app[AUTH].login(username, password, label=str(body.get("label", "api"))[:100])
    except BadCredentials as exc:
        raise Unauthorized(str(exc)) from None
    actor = session.actor
    return json_response(
        {"token": session.token, "expires_at": session.expires_at.isoformat(), **actor_view(actor)}, status=201
    )


@routes.get("/api/v1/me")
async def me(request: web.Request) -> web.Response:
    actor = actor_of(request)
    return json_response(actor_view(actor))


@routes.post("/api/v1/users")
async def add_user(request: web.Request) -> web.Response:
    require_roles(request, Role.ADMIN)
    body = await json_object(request)
    for key in ("username", "password", "role"):
        if not isinstance(body.get(key), str):
            raise ValidationError(f"{key} is a required string")
    unit = body.get("unit")
    if unit is not None and not isinstance(unit, str):
        raise ValidationError("unit must be a string")
    actor = await request.app[AUTH].add_user(body["username"], body["password"], body["role"], unit)
    return json_response(actor_view(actor), status=201)
