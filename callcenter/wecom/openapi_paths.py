"""The OpenAPI paths of the WeCom channel and of liaison officers (merged by callcenter/http/openapi.py).

WeCom's callback (/webhooks/wecom/callback) is, like the SMS providers' webhooks, outside the API:
WeCom signs it instead of a bearer token (see the README)."""

from __future__ import annotations

from typing import Any

from callcenter.http import api_queries as q
from callcenter.http.query_params import free_text

_PROBLEM = {"description": "Problem (RFC 9457)",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_ERRORS = {str(code): _PROBLEM for code in (400, 401, 403, 404, 422)}
_JSON = {"description": "JSON", "content": {"application/json": {"schema": {"type": "object"}}}}
_OK = {"200": _JSON, **_ERRORS}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema = {"type": "object", "required": required, "properties": {k: {"type": "string", "description": v}
                                                                      for k, v in properties.items()}}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _path(name: str, what: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": what}


_TARGET = _path("target", "`unit:<unit code>` (a unit's group) or `liaison` (the liaison officers' group)")
_OUTBOX_QUERY = free_text("order_number", "only the notices of this order",
                          why="an order number, matched exactly (an unknown one finds nothing)", example="20261123-0001")

OPENAPI_PATHS: dict[str, Any] = {
    "/api/v1/wecom/robots": {"get": {"summary": "Group robots (webhook keys masked); admins and supervisors",
                                     "responses": _OK}},
    "/api/v1/wecom/robots/{target}": {
        "put": {"summary": "Set a group robot's webhook key (admins; audited without the key)", "parameters": [_TARGET],
                "requestBody": _body({"key": "the webhook key (8–100 letters, digits or -)"}, ["key"]), "responses": _OK},
        "delete": {"summary": "Remove a group robot (admins)", "parameters": [_TARGET], "responses": _OK}},
    "/api/v1/wecom/outbox": {"get": {"summary": "Robot notices, newest first", "parameters": q.query((_OUTBOX_QUERY,)),
                                     "responses": _OK}},
    "/api/v1/wecom/senders": {"get": {"summary": "WeCom members and the enterprises they speak for", "responses": _OK}},
    "/api/v1/wecom/senders/{userid}": {
        "put": {"summary": "Map a WeCom member to a directory enterprise (admins)",
                "parameters": [_path("userid", "the WeCom account")],
                "requestBody": _body({"enterprise": "full name or credit code"}, ["enterprise"]), "responses": _OK},
        "delete": {"summary": "Forget a member's enterprise (admins)", "parameters": [_path("userid", "the WeCom account")],
                   "responses": _OK}},
    "/api/v1/liaisons": {
        "get": {"summary": "Liaison officers (帮扶专员) by enterprise (mobiles masked)", "responses": _OK},
        "put": {"summary": "Make a user an enterprise's liaison (admins; not a unit account)",
                "requestBody": _body({"enterprise": "full name or credit code", "user": "username"},
                                     ["enterprise", "user"]), "responses": _OK},
        "delete": {"summary": "The enterprise has no liaison any more (admins)",
                   "requestBody": _body({"enterprise": "full name or credit code"}, ["enterprise"]), "responses": _OK}},
    "/api/v1/liaisons/contacts/{username}": {
        "put": {"summary": "How to reach a liaison: SMS and the liaison group's @-mention (admins)",
                "parameters": [_path("username", "the liaison's username")],
                "requestBody": _body({"mobile": "mobile number, or null", "wecom_userid": "WeCom account, or null"}, []),
                "responses": _OK}},
    "/api/v1/liaison/notices": {"get": {"summary": "The signed-in liaison's notices, newest first", "responses": _OK}},
    "/api/v1/reports/liaisons": {"get": {"summary": "Orders per liaison officer received in a period (supervisors)",
                                         "parameters": q.query(q.REPORTS), "responses": _OK}},
}
