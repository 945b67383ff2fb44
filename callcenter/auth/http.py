"""Bearer-token authentication middleware, role guards, and the login, logout and unlock routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from callcenter.auth.services import BadCredentials, Session
from callcenter.auth.throttle import ACCOUNT, ADDRESS
from callcenter.auth.tokens import well_formed
from callcenter.http.json_body import json_object, json_response
from callcenter.http.problems import Forbidden, Unauthorized
from callcenter.keys import AUTH, TRUSTED_PROXIES
from worksheet.errors import ValidationError
from worksheet.model import Actor, Role

ACTOR = web.RequestKey("actor", Actor)
SESSION = web.RequestKey("session", Session)  # the bearer token's session (for event streams and logout)
PUBLIC = frozenset({("GET", "/api/v1/openapi.json"), ("POST", "/api/v1/auth/token"), ("GET", "/healthz"),
                    ("POST", "/api/city/v1/transfers")})  # the city signs its requests (HMAC) instead

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
    session = await request.app[AUTH].session_for_token(token)
    if session is None:
        raise Unauthorized("the token is unknown or revoked")
    request[ACTOR], request[SESSION] = session.actor, session
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


def required_strings(body: dict[str, object], *names: str) -> list[str]:
    values = [body.get(name) for name in names]
    if not all(isinstance(v, str) for v in values):
        raise ValidationError(f"{' and '.join(names)} {'is a required string' if len(names) == 1 else 'are required strings'}")
    return [str(v) for v in values]


@routes.post("/api/v1/auth/token")
async def issue_token(request: web.Request) -> web.Response:
    body = await json_object(request)
    username, password = required_strings(body, "username", "password")
    address = request.app[TRUSTED_PROXIES].client_address(request)
    try:
        session = await request.app[AUTH].login(username, password, label=str(body.get("label", "api"))[:100],
                                                address=address)
    except BadCredentials as exc:
        raise Unauthorized(str(exc)) from None
    actor = session.actor
    return json_response(
        {"token": session.token, "expires_at": session.expires_at.isoformat(), **actor_view(actor)}, status=201
    )


@routes.delete("/api/v1/auth/token")
async def revoke_token(request: web.Request) -> web.Response:
    """Log out: the presented token stops working at once, everywhere."""
    await request.app[AUTH].revoke(request[SESSION].token)
    return web.Response(status=204)


@routes.get("/api/v1/auth/locks")
async def login_locks(request: web.Request) -> web.Response:
    require_roles(request, Role.ADMIN)
    locks = await request.app[AUTH].throttle.locks()
    return json_response({"items": [{"kind": b.kind, "key": b.key, "failures": b.failures,
                                     "locked_until": b.locked_until.isoformat() if b.locked_until else None}
                                    for b in locks]})


@routes.post("/api/v1/auth/unlock")
async def unlock(request: web.Request) -> web.Response:
    """Lift the login lock of an account ({"username"}) or a client address ({"address"})."""
    actor = require_roles(request, Role.ADMIN)
    body = await json_object(request)
    targets = [(kind, body[field]) for kind, field in ((ACCOUNT, "username"), (ADDRESS, "address")) if field in body]
    if len(targets) != 1 or not isinstance(targets[0][1], str) or not 0 < len(targets[0][1]) <= 64:
        raise ValidationError("give either username or address, a string of 1–64 characters")
    kind, key = targets[0]
    return json_response({"kind": kind, "key": key, "unlocked": await request.app[AUTH].unlock(kind, key, actor)})


@routes.get("/api/v1/me")
async def me(request: web.Request) -> web.Response:
    actor = actor_of(request)
    return json_response(actor_view(actor))


@routes.post("/api/v1/users")
async def add_user(request: web.Request) -> web.Response:
    by = require_roles(request, Role.ADMIN)
    body = await json_object(request)
    for key in ("username", "password", "role"):
        if not isinstance(body.get(key), str):
            raise ValidationError(f"{key} is a required string")
    unit, name = body.get("unit"), body.get("display_name", "")
    if unit is not None and not isinstance(unit, str) or not isinstance(name, str):
        raise ValidationError("unit and display_name must be strings")
    actor = await request.app[AUTH].add_user(body["username"], body["password"], body["role"], unit, name,
                                             by=by)
    return json_response(actor_view(actor), status=201)
