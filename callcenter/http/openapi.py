"""The OpenAPI 3.1 document, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callcenter.auth import users_http
from callcenter.city import openapi as city_openapi
from callcenter.http import api_queries as q
from callcenter.http.json_body import json_response
from callcenter.wecom import openapi_paths as wecom_openapi
from worksheet.commands import PERSON_COMMANDS
from worksheet.model import CardColor, Category, Channel, Rating, Status, Urgency

routes = web.RouteTableDef()

_PROBLEM = {"description": "Problem (RFC 9457)", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_ERRORS = {str(code): _PROBLEM for code in (400, 401, 403, 404, 409, 422)}


def _ok(desc: str, schema: str = "Order", status: str = "200") -> dict[str, Any]:
    return {status: {"description": desc, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}, **_ERRORS}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _enum(e: type) -> dict[str, Any]:
    return {"type": "string", "enum": [m.value for m in e]}  # type: ignore[attr-defined]


_NEW_ORDER = {
    "type": "object", "required": ["channel", "category", "enterprise"],
    "properties": {
        "channel": _enum(Channel), "category": _enum(Category), "urgency": _enum(Urgency),
        "enterprise": {"type": "object", "properties": {
            "name": {"type": "string"}, "credit_code": {"type": "string", "description": "18 characters, GB 32100-2015"},
            "contact_person": {"type": "string"}, "phone": {"type": "string"}}},
        "subject": {"type": "string"}, "content": {"type": "string"},
        "received_at": {"type": "string", "format": "date-time"},
        "attachments": {"type": "array", "description": "ids returned by POST /api/v1/attachments (never paths)",
                        "items": {"type": "string", "pattern": "^[A-Za-z0-9_-]{16,40}$"}},
        "draft": {"type": "boolean"}, "preset": {"type": "string"},
    },
}
_ACTION = {
    "type": "object",
    "description": "Fields depend on the action: dispatch/redispatch {lead_unit, co_units, kind, amount}; "
    "return {reason, basis}; request-extension {reason}; decide-extension {approve}; reply {content}; "
    "check {passed, note}; callback-result {rating}; review {decision: close|redo, explanation}; "
    "close-policy-limited {explanation}; merge {into}; answer-directly {answer}; confirm {changes}; "
    "supplement {text, source}; discard {reason}; dismiss-duplicates {numbers} (flagged orders that are not duplicates); "
    "return-to-city {reason} (退回市级平台: only orders transferred from the city platform). "
    "Optional `version` (or an If-Match header) for optimistic concurrency.",
    "properties": {"note": {"type": "string"}, "version": {"type": "integer"}, "rating": _enum(Rating)},
}

_ARTICLE_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
_PERIOD = q.query(q.REPORTS)
_FAX_ID = {"name": "fax_id", "in": "path", "required": True, "schema": {"type": "integer"}}
_NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}
_FILE = {"200": {"description": "the file, with its type as found in its bytes (Range requests answered 206)",
                 "content": {"application/octet-stream": {}}}, **_ERRORS}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "Zhitong (直通) work-order API", "version": "1",
             "description": "Times: every date-time in an answer is ISO 8601 with the hotline's offset, "
                            "Asia/Shanghai (`2026-11-23T10:05:00+08:00`), whatever table it comes from; "
                            "date-times sent in may carry any offset."},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Problem": {"type": "object", "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                "detail": {"type": "string"}, "error_id": {"type": "string"}}},
            "Order": {"type": "object", "properties": {
                "number": {"type": "string"}, "status": _enum(Status), "version": {"type": "integer"},
                "received_at": {"type": "string", "format": "date-time"},
                "answered": {"type": "object", "description": "a reply awaiting the check: when it came, the deadline "
                             "it answered to, and whether it was late", "properties": {
                                 "at": {"type": "string", "format": "date-time"},
                                 "due": {"type": "string", "format": "date-time"}, "late": {"type": "boolean"}}},
                "deadlines": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                    "due": {"type": "string", "format": "date-time"}, "provisional": {"type": "boolean"},
                    "overdue": {"type": "boolean"}}}},
                "possible_duplicates": {"type": "array", "items": {"type": "string"}},
                "dismissed_duplicates": {"type": "array", "items": {"type": "string"}},
                "duplicate_candidates": {"type": "array", "description": "possible duplicates (疑似重复), re-checked "
                                         "whenever a draft is filled or edited and at confirmation; merge or "
                                         "dismiss-duplicates", "items": {"type": "object", "properties": {
                                             "number": {"type": "string"}, "href": {"type": "string"},
                                             "page": {"type": "string"}}}},
                "cards": {"type": "array"}, "history": {"type": "array"},
                "suggestion": {"type": "object", "nullable": True, "description": "a draft's newest extraction: "
                               "its source and, per field, the value, the calibrated confidence (the measured "
                               "chance it is right), whether it is confident (right at least 95 % of the time; "
                               "otherwise a suggestion to check) and the span of the text it came from",
                               "properties": {"fields": {"type": "object", "additionalProperties": {
                                   "type": "object", "properties": {
                                       "value": {}, "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                                       "confident": {"type": "boolean"}, "span": {"type": "object", "nullable": True}}}}}}}},
            "OrderList": {"type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Order"}},
                                                           "total": {"type": "integer"}}},
            "Supervision": {"type": "object"}, "Units": {"type": "object"}, "Token": {"type": "object"},
            "Calls": {"type": "object"}, "Messages": {"type": "object"}, "Faxes": {"type": "object"},
            "Articles": {"type": "object"}, "Report": {"type": "object"},
            "NewOrder": _NEW_ORDER, "Attachments": {"type": "object"}, "Reveal": {"type": "object"},
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/api/v1/auth/token": {
            "post": {"security": [], "summary": "Log in: username and password → bearer token. Throttled per account "
                     "and client address: 429 (login-throttled) or 503 (login-busy) with Retry-After",
                     "requestBody": _body({"type": "object", "required": ["username", "password"]}),
                     "responses": {**_ok("token", "Token", "201"), "429": _PROBLEM, "503": _PROBLEM}},
            "delete": {"summary": "Log out: revoke the presented token on every node",
                       "responses": {"204": {"description": "revoked"}, "401": _PROBLEM}}},
        "/api/v1/auth/locks": {"get": {"summary": "Login locks in force, of accounts and client addresses (admin)",
                                       "responses": _ok("locks", "Token")}},
        "/api/v1/auth/unlock": {"post": {"summary": "Lift the login lock of an account or a client address (admin)",
                                         "requestBody": _body({"type": "object", "properties": {
                                             "username": {"type": "string"}, "address": {"type": "string"}}}),
                                         "responses": _ok("unlocked", "Token")}},
        "/api/v1/orders": {
            "post": {"summary": "Create an order (or a draft to confirm)", "requestBody": _body({"$ref": "#/components/schemas/NewOrder"}),
                     "responses": _ok("created", status="201")},
            "get": {"summary": "Search orders", "parameters": q.query(q.ORDERS), "responses": _ok("orders", "OrderList")},
        },
        "/api/v1/orders/{number}": {"get": {"summary": "One order with deadlines, cards and history",
                                            "parameters": [{"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}],
                                            "responses": _ok("order")}},
        "/api/v1/attachments": {"post": {
            "summary": "Upload files (multipart/form-data, a `file` field each; PDF, images, audio, Word/Excel, OFD); "
                       "returns their ids to put in an order's `attachments`",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": {"file": {"type": "array", "items": {
                    "type": "string", "format": "binary"}}}}}}},
            "responses": {**_ok("the stored files", "Attachments", "201"),
                          **{str(c): _PROBLEM for c in (413, 415, 429)}}}},
        "/api/v1/orders/{number}/attachments": {"get": {
            "summary": "An order's files (recordings, faxes, uploads)", "parameters": [_NUMBER],
            "responses": _ok("files", "Attachments")}},
        "/api/v1/orders/{number}/attachments/{blob_id}": {"get": {
            "summary": "One of an order's files", "parameters": [
                _NUMBER, {"name": "blob_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": _FILE}},
        "/api/v1/orders/{number}/reveal-phone": {"post": {
            "summary": "The order's full phone number (masked everywhere else); audited",
            "parameters": [_NUMBER], "responses": _ok("the number", "Reveal")}},
        "/api/v1/orders/{number}/{action}": {"post": {
            "summary": "A lifecycle command",
            "parameters": [
                {"name": "number", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "action", "in": "path", "required": True, "schema": {"type": "string", "enum": sorted(PERSON_COMMANDS)}},
            ],
            "requestBody": _body(_ACTION), "responses": _ok("the order after the command")}},
        "/api/v1/units": {"get": {"summary": "Handling units (承办单位)", "responses": _ok("units", "Units")}},
        "/api/v1/supervision": {"get": {"summary": "Cards and flags per unit for a month",
                                        "parameters": q.query(q.SUPERVISION),
                                        "responses": _ok("supervision", "Supervision")}},
        "/api/v1/supervision/sweep": {"post": {"summary": "Run the card sweep now (or as of `at`)",
                                               "responses": _ok("issued cards and flags", "Supervision")}},
        "/api/v1/me": {"get": {"summary": "The caller's identity", "responses": _ok("me", "Token")}},
        "/api/v1/calls": {"get": {"summary": "Call records (newest first), from AMI", "parameters": q.query(q.CALLS),
                                  "responses": _ok("calls", "Calls")}},
        "/api/v1/calls/{linkedid}": {"get": {
            "summary": "One call record with its transcripts (words with times and confidences)",
            "parameters": [{"name": "linkedid", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": _ok("call", "Calls")}},
        "/api/v1/calls/{linkedid}/reveal-caller": {"post": {
            "summary": "A call's full caller number (masked everywhere else); audited",
            "parameters": [{"name": "linkedid", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": _ok("the number", "Reveal")}},
        "/api/v1/live": {"get": {"summary": "Server-sent events: live partial/final transcripts and DTMF",
                                 "responses": {"200": {"description": "text/event-stream",
                                                       "content": {"text/event-stream": {}}}}}},
        "/api/v1/sms/outbox": {"get": {"summary": "Outbound SMS, newest first (numbers masked, no bodies)",
                                       "parameters": q.query(q.SMS_OUTBOX),
                                       "responses": _ok("messages", "Messages")}},
        "/api/v1/sms/inbound": {"get": {"summary": "Inbound SMS and what became of each (draft, supplement, survey…); "
                                                   "outcome=dead_letter: those whose attempts ran out",
                                        "parameters": q.query(q.SMS_INBOUND),
                                        "responses": _ok("messages", "Messages")}},
        "/api/v1/sms/inbound/{id}/retry": {"post": {
            "summary": "Send a dead-lettered inbound SMS back for processing (supervisors; audited)",
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": _ok("the message, waiting to be processed again", "Messages")}},
        "/api/v1/kb": {
            "get": {"summary": "Search the knowledge base (q=…) or list it; agents see published articles",
                    "parameters": q.query(q.KNOWLEDGE),
                    "responses": _ok("articles", "Articles")},
            "post": {"summary": "Add an article (supervisor)", "requestBody": _body({"type": "object"}),
                     "responses": _ok("article", "Articles", "201")}},
        "/api/v1/kb/{id}": {
            "get": {"summary": "One article", "parameters": [_ARTICLE_ID], "responses": _ok("article", "Articles")},
            "put": {"summary": "Edit an article (supervisor; `version` required)", "parameters": [_ARTICLE_ID],
                    "requestBody": _body({"type": "object"}), "responses": _ok("article", "Articles")},
            "delete": {"summary": "Archive an article (supervisor)", "parameters": [_ARTICLE_ID, *q.query(q.KNOWLEDGE_VERSION)],
                       "responses": _ok("article", "Articles")}},
        "/api/v1/reports": {"get": {"summary": "A period's report: counts, rates with their definitions, unit ranking",
                                    "parameters": _PERIOD, "responses": _ok("report", "Report")}},
        "/api/v1/reports/export.csv": {"get": {"summary": "The report as CSV (UTF-8 with BOM)", "parameters": _PERIOD,
                                               "responses": {"200": {"description": "CSV",
                                                                     "content": {"text/csv": {}}}}}},
        "/api/v1/reports/export.xlsx": {"get": {"summary": "The report as an Excel workbook", "parameters": _PERIOD,
                                                "responses": {"200": {"description": "XLSX", "content": {
                                                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}}}},
        "/api/v1/faxes": {"get": {"summary": "Received faxes (drafted, failed, error…)",
                                  "parameters": q.query(q.FAXES),
                                  "responses": _ok("faxes", "Faxes")}},
        "/api/v1/faxes/{fax_id}": {"get": {"summary": "One received fax", "parameters": [_FAX_ID],
                                           "responses": _ok("fax", "Faxes")}},
        "/api/v1/faxes/{fax_id}/document.pdf": {"get": {
            "summary": "The fax as a PDF", "parameters": [_FAX_ID],
            "responses": {"200": {"description": "PDF", "content": {"application/pdf": {}}}}}},
        "/api/v1/faxes/{fax_id}/pages/{page}.png": {"get": {
            "summary": "One page of the fax as a PNG",
            "parameters": [_FAX_ID, {"name": "page", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "PNG", "content": {"image/png": {}}}}}},
    },
    "x-card-colors": [c.value for c in CardColor],
}

DOCUMENT["paths"].update(users_http.OPENAPI_PATHS)
DOCUMENT["components"]["schemas"].update(users_http.OPENAPI_SCHEMAS)
DOCUMENT["paths"].update(city_openapi.PATHS)
DOCUMENT["components"]["schemas"].update(city_openapi.SCHEMAS)
DOCUMENT["webhooks"] = city_openapi.WEBHOOKS
DOCUMENT["paths"].update(wecom_openapi.OPENAPI_PATHS)


@routes.get("/api/v1/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return json_response(DOCUMENT)
