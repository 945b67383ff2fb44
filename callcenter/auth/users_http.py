"""The API's user administration (admin) and the caller's own password change; every change is
audited and follows the same rules as the CLI and the admin page (callcenter/auth/accounts.py)."""

from __future__ import annotations

from aiohttp import web

from callcenter.auth.http import SESSION, actor_of, require_roles, required_strings
from callcenter.auth.tokens import digest
from callcenter.db.users import User
from callcenter.http.json_body import json_object, json_response, query_int
from callcenter.http.query_params import page
from callcenter.keys import AUTH, TRUSTED_PROXIES
from worksheet.model import Role

routes = web.RouteTableDef()
MAX_PAGE = 500
MAX_OFFSET = 10**9


def user_view(user: User) -> dict[str, object]:
    return {"username": user.username, "role": user.role, "unit": user.unit_code,
            "display_name": user.display_name, "active": user.active}


@routes.get("/api/v1/users")
async def list_users(request: web.Request) -> web.Response:
    """A page of users (by role, then username): limit 1–500 (default 50), offset ≥ 0."""
    require_roles(request, Role.ADMIN)
    limit, offset = query_int(request, "limit", 50, 1, MAX_PAGE), query_int(request, "offset", 0, 0, MAX_OFFSET)
    users, total = await request.app[AUTH].accounts.page(limit=limit, offset=offset)
    return json_response({"items": [user_view(u) for u in users], "total": total, "limit": limit, "offset": offset})


@routes.get("/api/v1/users/{username}")
async def get_user(request: web.Request) -> web.Response:
    require_roles(request, Role.ADMIN)
    return json_response(user_view(await request.app[AUTH].accounts.get(request.match_info["username"])))


@routes.patch("/api/v1/users/{username}")
async def edit_user(request: web.Request) -> web.Response:
    """Any of role, unit, display_name, active; a role or unit change, or disabling, signs the user out."""
    actor = require_roles(request, Role.ADMIN)
    body = await json_object(request)
    user = await request.app[AUTH].accounts.edit(request.match_info["username"], body, actor)
    return json_response(user_view(user))


@routes.put("/api/v1/users/{username}/password")
async def set_password(request: web.Request) -> web.Response:
    """Set a user's password ({"password"}); the user's sessions and tokens end."""
    actor = require_roles(request, Role.ADMIN)
    [password] = required_strings(await json_object(request), "password")
    await request.app[AUTH].accounts.set_password(request.match_info["username"], password, actor)
    return web.Response(status=204)


@routes.put("/api/v1/me/password")
async def change_own_password(request: web.Request) -> web.Response:
    """{"current_password", "new_password"}: the presented token stays valid, every other one ends."""
    current, new = required_strings(await json_object(request), "current_password", "new_password")
    await request.app[AUTH].accounts.change_own(
        actor_of(request), current, new, token_digest=digest(request[SESSION].token),
        address=request.app[TRUSTED_PROXIES].client_address(request))
    return web.Response(status=204)


def _json(schema: dict[str, object]) -> dict[str, object]:
    return {"application/json": {"schema": schema}}


_PROBLEM = {"description": "Problem (RFC 9457); error_id e.g. account-invalid, user-not-found, last-admin, "
                           "wrong-current-password, duplicate-user",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_ERRORS = {str(code): _PROBLEM for code in (401, 403, 404, 409, 422)}
_USER = {"description": "the user", "content": _json({"$ref": "#/components/schemas/User"})}
_NAME = {"name": "username", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 64}}
_DONE = {"204": {"description": "done"}}
_PASSWORD = {"type": "string", "minLength": 10, "maxLength": 256, "description": "not the username"}
# Merged into the OpenAPI document (callcenter/http/openapi.py).
OPENAPI_SCHEMAS = {
    "User": {"type": "object", "properties": {
        "username": {"type": "string"}, "role": {"type": "string", "enum": ["agent", "unit_handler", "supervisor", "admin"]},
        "unit": {"type": ["string", "null"], "description": "unit code; unit handlers only"},
        "display_name": {"type": ["string", "null"], "maxLength": 64}, "active": {"type": "boolean"}}},
    "UserList": {"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}, "total": {"type": "integer"},
        "limit": {"type": "integer"}, "offset": {"type": "integer"}}},
}
OPENAPI_PATHS = {
    "/api/v1/users": {
        "get": {"summary": "Users, by role then username, a page at a time (admin)", "parameters": [
            p.to_openapi() for p in page(limit=50, max_limit=MAX_PAGE, max_offset=MAX_OFFSET)],
            "responses": {"200": {"description": "users", "content": _json({"$ref": "#/components/schemas/UserList"})},
                          **_ERRORS}},
        "post": {"summary": "Add a user (admin; audited by the caller's token)", "requestBody": {"required": True, "content": _json({
            "type": "object", "required": ["username", "password", "role"], "properties": {
                "username": {"type": "string", "maxLength": 64}, "password": _PASSWORD,
                "role": {"type": "string", "enum": ["agent", "unit_handler", "supervisor", "admin"]},
                "unit": {"type": "string", "description": "required for unit_handler, refused otherwise"},
                "display_name": {"type": "string", "maxLength": 64}}})},
            "responses": {"201": {"description": "created", "content": _json({"type": "object"})}, **_ERRORS}}},
    "/api/v1/users/{username}": {
        "get": {"summary": "One user (admin)", "parameters": [_NAME], "responses": {"200": _USER, **_ERRORS}},
        "patch": {"summary": "Edit a user (admin; audited). A role or unit change, or disabling, ends the user's "
                             "sessions and tokens; the last active admin cannot be demoted or disabled (409 last-admin)",
                  "parameters": [_NAME], "requestBody": {"required": True, "content": _json({
                      "type": "object", "additionalProperties": False, "properties": {
                          "role": {"type": "string", "enum": ["agent", "unit_handler", "supervisor", "admin"]},
                          "unit": {"type": ["string", "null"]}, "display_name": {"type": ["string", "null"]},
                          "active": {"type": "boolean"}}})},
                  "responses": {"200": _USER, **_ERRORS}}},
    "/api/v1/users/{username}/password": {"put": {
        "summary": "Set a user's password (admin; audited, the password never); the user's sessions end",
        "parameters": [_NAME], "requestBody": {"required": True, "content": _json(
            {"type": "object", "required": ["password"], "properties": {"password": _PASSWORD}})},
        "responses": {**_DONE, **_ERRORS}}},
    "/api/v1/me/password": {"put": {
        "summary": "Change the caller's own password; the presented token stays valid, every other session ends. "
                   "Wrong current passwords count like failed logins (429 login-throttled)",
        "requestBody": {"required": True, "content": _json({
            "type": "object", "required": ["current_password", "new_password"],
            "properties": {"current_password": {"type": "string"}, "new_password": _PASSWORD}})},
        "responses": {**_DONE, **_ERRORS, "429": _PROBLEM}}},
}
