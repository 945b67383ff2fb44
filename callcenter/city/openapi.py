"""The city interface in the service's OpenAPI document: the transfer the city sends us (a path),
the status updates we send the city (a webhook, OpenAPI 3.1), and the outbox for supervisors."""

from __future__ import annotations

from typing import Any

from callcenter.http.query_params import choice, free_text, page
from worksheet.model import Category, Status, Urgency

from .outbox import STATUSES
from .schema import CITY_ORDER_ID
from .signing import SIGNATURE_HEADER, TIMESTAMP_HEADER
from .updates import CLOSURE_REASON, KINDS

OUTBOX_QUERY = (free_text("order_number", "only this order's updates", why="an order number, matched exactly",
                          example="20261123-0001"),
                choice("status", STATUSES, "updates in this delivery state"), *page(limit=100, max_limit=500))

_SIGNED = ("Signed with HMAC-SHA256 (hex) over `timestamp + \"\\n\" + raw body` with the shared secret: "
           f"`{TIMESTAMP_HEADER}: <Unix seconds>` and `{SIGNATURE_HEADER}: v1=<hex>`. A timestamp more than "
           "300 s from the receiver's clock is refused. See docs/city-platform.md.")
_HEADERS = [
    {"name": TIMESTAMP_HEADER, "in": "header", "required": True, "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
     "example": "1764000000"},
    {"name": SIGNATURE_HEADER, "in": "header", "required": True,
     "schema": {"type": "string", "pattern": "^v1=[0-9a-f]{64}(,\\s*v1=[0-9a-f]{64})*$"}},
]
_PROBLEM = {"description": "Problem (RFC 9457) with a stable error_id",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_DT = {"type": "string", "format": "date-time"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


SCHEMAS: dict[str, Any] = {
    "CityTransfer": {
        "type": "object", "additionalProperties": False,
        "required": ["city_order_id", "received_at", "category", "subject", "content", "enterprise"],
        "properties": {
            "city_order_id": {"type": "string", "pattern": CITY_ORDER_ID.pattern,
                              "description": "the city's order number: the idempotency key, kept on the order"},
            "received_at": {**_DT, "description": "when the city received the matter (kept as the order's time)"},
            "deadline": {**_DT, "description": "the city's deadline; wins over the district's time limits. "
                                               "Absent: the district's own limits apply"},
            "category": {"type": "string", "enum": [c.value for c in Category]},
            "urgency": {"type": "string", "enum": [u.value for u in Urgency], "default": "normal"},
            "subject": {"type": "string", "maxLength": 200}, "content": {"type": "string", "maxLength": 20000},
            "enterprise": {"type": "object", "additionalProperties": False, "required": ["name"], "properties": {
                "name": {"type": "string", "maxLength": 200}, "credit_code": {"type": "string"},
                "contact_person": {"type": "string", "maxLength": 100}, "phone": {"type": "string", "maxLength": 32}}},
        }},
    "CityTransferResult": {"type": "object", "properties": {
        "api_version": {"const": "1"}, "city_order_id": {"type": "string"},
        "order_number": {"type": "string", "description": "the district's order number"},
        "status": {"type": "string", "enum": [s.value for s in Status]}, "received_at": _DT,
        "deadline": {"type": ["string", "null"], "format": "date-time"},
        "created": {"type": "boolean", "description": "false: a retry, answered with the order created before"}}},
    "CityStatusUpdate": {"type": "object", "required": ["api_version", "event_id", "type", "city_order_id",
                                                        "order_number", "sequence", "occurred_at", "status"],
                         "properties": {
        "api_version": {"const": "1"},
        "event_id": {"type": "string", "description": "unique per update: the receiver ignores one it has seen"},
        "type": {"type": "string", "enum": list(KINDS)}, "city_order_id": {"type": "string"},
        "order_number": {"type": "string"},
        "sequence": {"type": "integer", "description": "the event's number in the order's history (ascending)"},
        "occurred_at": _DT, "status": {"type": "string", "enum": [s.value for s in Status]},
        "deadline": {"type": ["string", "null"], "format": "date-time", "description": "accepted"},
        "reply": {"type": "string", "description": "replied: the answer to the enterprise"},
        "closure_reason": {"type": "string", "enum": sorted(set(CLOSURE_REASON.values())), "description": "closed"},
        "explanation": {"type": "string", "description": "closed"},
        "merged_into": {"type": "string", "description": "closed (merged): the district order it was merged into"},
        "reason": {"type": "string", "description": "returned: why the matter is not the district's"}}},
    "CityOutbox": {"type": "object"},
}

PATHS: dict[str, Any] = {
    "/api/city/v1/transfers": {"post": {
        "security": [], "summary": "The city platform transfers an order to the district (市级平台转办). "
        "Idempotent by city_order_id: a retry with the same body answers 200 with the same order; other content "
        "under the same id is 409 city-transfer-conflict. " + _SIGNED,
        "parameters": _HEADERS, "requestBody": {"required": True, "content": _json({"$ref": "#/components/schemas/CityTransfer"})},
        "responses": {
            "201": {"description": "registered", "content": _json({"$ref": "#/components/schemas/CityTransferResult"})},
            "200": {"description": "a retry: the order created before",
                    "content": _json({"$ref": "#/components/schemas/CityTransferResult"})},
            "400": _PROBLEM, "401": _PROBLEM, "404": _PROBLEM, "409": _PROBLEM, "413": _PROBLEM, "415": _PROBLEM, "422": _PROBLEM}}},
    "/api/v1/city/transfers/{city_order_id}": {"get": {
        "summary": "The district's order for a city order number (agents, supervisors)",
        "parameters": [{"name": "city_order_id", "in": "path", "required": True,
                        "schema": {"type": "string", "pattern": CITY_ORDER_ID.pattern}}],
        "responses": {"200": {"description": "our order number, status and links",
                              "content": _json({"$ref": "#/components/schemas/CityOutbox"})},
                      "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM}}},
    "/api/v1/city/outbox": {"get": {
        "summary": "Status updates for the city, newest first (delivered, waiting, failed with the last error)",
        "parameters": [p.to_openapi() for p in OUTBOX_QUERY],
        "responses": {"200": {"description": "updates", "content": _json({"$ref": "#/components/schemas/CityOutbox"})},
                      "401": _PROBLEM, "403": _PROBLEM, "422": _PROBLEM}}},
    "/api/v1/city/outbox/{id}/retry": {"post": {
        "summary": "Send a failed update to the city again (supervisors; audited)",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "the update, waiting to be sent",
                              "content": _json({"$ref": "#/components/schemas/CityOutbox"})},
                      "401": _PROBLEM, "403": _PROBLEM, "404": _PROBLEM, "409": _PROBLEM}}},
}

WEBHOOKS: dict[str, Any] = {
    "cityStatusUpdate": {"post": {
        "security": [], "summary": "We tell the city how its transfer stands: POST {ZHITONG_CITY_BASE_URL}"
        "/v1/status-updates, one update per request, in order per city order, retried with growing delays "
        "until a 2xx (400/413/422 end the retries). Also sent: X-City-Event-Id. " + _SIGNED,
        "parameters": _HEADERS,
        "requestBody": {"required": True, "content": _json({"$ref": "#/components/schemas/CityStatusUpdate"})},
        "responses": {"200": {"description": "received (also for an event_id seen before)"}}}},
}
