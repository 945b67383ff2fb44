"""Each input that answered 500 on 35eeeea (issue 11, finding 6) is now a clear 4xx, on both
databases: the API's as problem+json with a stable error_id, the pages' as a Chinese page.

The route fuzz (test_route_fuzz.py) checks the same classes on every route; this file pins the
reported cases down with the exact answer each must get.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api_helpers import ORDER
from tests.security.hostile import ALIYUN_TOKEN, Stage, create_order, module_stage

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def order(**changes: Any) -> bytes:
    return json.dumps({**ORDER, **changes}).encode()  # ensure_ascii: a lone surrogate goes as \ud800


# (what, who, method, path, body, status, error_id); the body goes as JSON
API_CASES: list[tuple[str, str, str, str, bytes | None, int, str]] = [
    ("deeply nested JSON", "agent", "POST", "/api/v1/orders", b"[" * 100_000 + b"]" * 100_000, 400, "json-too-deep"),
    ("nesting the parser survives", "agent", "POST", "/api/v1/orders", b'{"a":' * 200 + b"1" + b"}" * 200, 400,
     "json-too-deep"),
    ("a 5,000-digit number", "agent", "POST", "/api/v1/orders", b'{"channel": ' + b"9" * 5000 + b"}", 400,
     "number-too-large"),
    ("a 5,000-digit version", "agent", "POST", "/api/v1/orders/{number}/accept", b'{"version": ' + b"9" * 5000 + b"}",
     400, "number-too-large"),
    ("NaN", "agent", "POST", "/api/v1/orders", b'{"channel": NaN}', 400, "malformed-json"),
    ("a lone surrogate", "agent", "POST", "/api/v1/orders", order(subject="\ud800"), 400, "invalid-characters"),
    ("a lone surrogate in a key", "agent", "POST", "/api/v1/orders", b'{"\\udc00": 1}', 400, "invalid-characters"),
    ("NUL in an order", "agent", "POST", "/api/v1/orders", order(content="华翔路\x00施工"), 400, "invalid-characters"),
    ("NUL in a command", "agent", "POST", "/api/v1/orders/{number}/supplement", b'{"text": "a\\u0000b"}', 400,
     "invalid-characters"),
    ("NUL in a knowledge-base article", "boss", "POST", "/api/v1/kb",
     b'{"title": "\\u0000", "body": "b", "category": "c"}', 400, "invalid-characters"),
    ("NUL in a search", "agent", "GET", "/api/v1/orders?q=a%00b", None, 400, "invalid-characters"),
    ("NUL in a unit filter", "agent", "GET", "/api/v1/orders?unit=%00", None, 400, "invalid-characters"),
    ("NUL in an order number", "agent", "GET", "/api/v1/orders/a%00b", None, 400, "invalid-characters"),
    ("NUL in a call id", "agent", "GET", "/api/v1/calls/a%00b", None, 400, "invalid-characters"),
    ("NUL in a caller filter", "agent", "GET", "/api/v1/calls?caller=%00", None, 400, "invalid-characters"),
    ("NUL in a knowledge-base category", "agent", "GET", "/api/v1/kb?category=%00", None, 400, "invalid-characters"),
    ("NUL in the outbox filters", "boss", "GET", "/api/v1/sms/outbox?status=%00", None, 400, "invalid-characters"),
    ("received_at in year 1", "agent", "POST", "/api/v1/orders", order(received_at="0001-01-01T00:00:00+14:00"), 422,
     "validation-failed"),
    ("received_at in year 1999", "agent", "POST", "/api/v1/orders", order(received_at="1999-12-31T23:00:00+08:00"),
     422, "validation-failed"),
    ("from at the end of time", "agent", "GET", "/api/v1/orders?from=9999-12-31T23:59:59-12:00", None, 422,
     "validation-failed"),
    ("from without an offset", "agent", "GET", "/api/v1/orders?from=2026-11-01T00:00:00", None, 422,
     "validation-failed"),
    ("to in year 1", "agent", "GET", "/api/v1/orders?to=0001-01-01T00:00:00%2B14:00", None, 422, "validation-failed"),
    ("a sweep as of year 9999", "boss", "POST", "/api/v1/supervision/sweep", b'{"at": "9999-12-31T23:59:59+00:00"}',
     422, "validation-failed"),
    ("a sweep as of year 1", "boss", "POST", "/api/v1/supervision/sweep", b'{"at": "0001-01-01T00:00:00+08:00"}', 422,
     "validation-failed"),
    ("a draft confirmed with a numeric received_at", "agent", "POST", "/api/v1/orders/{draft}/confirm",
     b'{"changes": {"received_at": 12}}', 422, "validation-failed"),
    ("a draft confirmed with received_at in year 1", "agent", "POST", "/api/v1/orders/{draft}/confirm",
     b'{"changes": {"received_at": "0001-01-01T00:00:00+14:00"}}', 422, "validation-failed"),
    ("a huge fax id", "agent", "GET", "/api/v1/faxes/" + "9" * 30, None, 404, "fax-not-found"),
    ("a huge fax id's document", "agent", "GET", "/api/v1/faxes/" + "9" * 30 + "/document.pdf", None, 404,
     "fax-not-found"),
    ("a fax id beyond 32 bits", "agent", "GET", "/api/v1/faxes/4294967296", None, 404, "fax-not-found"),
    ("a superscript fax id", "agent", "GET", "/api/v1/faxes/%C2%B2", None, 404, "fax-not-found"),
    ("a superscript fax page", "agent", "GET", "/api/v1/faxes/{fax_id}/pages/%C2%B2.png", None, 404,
     "fax-page-not-found"),
    ("an article id beyond 32 bits", "boss", "GET", "/api/v1/kb/99999999999", None, 404, "kb-article-not-found"),
    ("an outbox offset beyond 64 bits", "boss", "GET", "/api/v1/sms/outbox?offset=" + "9" * 30, None, 422,
     "validation-failed"),
    ("an inbox offset beyond 64 bits", "boss", "GET", "/api/v1/sms/inbound?offset=" + "9" * 30, None, 422,
     "validation-failed"),
    ("an article archived at version=abc", "boss", "DELETE", "/api/v1/kb/{id}?version=abc", None, 422,
     "validation-failed"),
    ("a non-ASCII Aliyun webhook token", "anonymous", "POST", "/webhooks/aliyun/sms-report/%E4%B8%AD", b"[]", 404,
     "not-found"),
    ("an Aliyun report nested too deep", "anonymous", "POST", f"/webhooks/aliyun/sms-report/{ALIYUN_TOKEN}",
     b"[" * 100_000 + b"]" * 100_000, 400, "json-too-deep"),
]


pytestmark = pytest.mark.asyncio(loop_scope="module")
stage = module_stage(pages=("agent", "zjj", "boss"))


async def test_the_reported_api_inputs_are_clear_4xx(stage: Stage) -> None:
    draft = await create_order(stage.api, draft=True)
    stage.objects["draft"] = draft["number"]
    before = (await stage.api.call("admin", "GET", "/api/v1/orders"))[1]["total"]
    wrong = []
    for what, who, method, path, body, status, error_id in API_CASES:
        for name, value in stage.objects.items():
            path = path.replace("{" + name + "}", value)
        reply = await stage.send(who, method, path, body=body, content_type=JSON if body is not None else None)
        problem = json.loads(reply.text) if reply.content_type.startswith("application/problem+json") else {}
        if (reply.status, problem.get("error_id")) != (status, error_id):
            wrong.append(f"{what}: {reply.status} {reply.text[:160]}")
    assert not wrong, "\n".join(wrong)
    status, listing = await stage.api.call("admin", "GET", "/api/v1/orders")
    assert status == 200 and listing["total"] == before  # nothing of it was stored


# (what, who, method, path, form body, status)
PAGE_CASES: list[tuple[str, str, str, str, bytes | None, int]] = [
    ("NUL in the order search", "agent", "GET", "/orders?q=a%00b", None, 400),
    ("NUL in a draft's number", "agent", "GET", "/agent/drafts/a%00b", None, 400),
    ("NUL in the knowledge-base search", "agent", "GET", "/knowledge?q=%00", None, 400),
    ("NUL in a new order's form", "agent", "POST", "/orders/new", b"channel=phone&category=help&subject=a%00b", 400),
    ("NUL in an action's form", "zjj", "POST", "/orders/{number}/act/reply", b"content=%00", 400),
    ("a form that is not UTF-8", "agent", "POST", "/orders/new", b"subject=\xff\xfe", 400),
    ("a form in an unknown charset", "agent", "POST", "/orders/new", b"subject=x", 400),
    ("a superscript version in an action's form", "zjj", "POST", "/orders/{number}/act/accept", "version=²".encode(),
     422),
    ("a 5,000-digit amount in a dispatch form", "agent", "POST", "/orders/{other_number}/act/redispatch",
     b"lead_unit=x&amount=" + b"9" * 5000, 422),
    ("an article saved at version=abc", "boss", "POST", "/knowledge/{id}", b"title=t&body=b&category=c&version=abc",
     422),
    ("a missing article saved at version=abc", "boss", "POST", "/knowledge/99999", b"title=t&version=abc", 404),
    ("an article id beyond 32 bits", "boss", "GET", "/knowledge/99999999999", None, 404),
    ("a superscript attachment index", "agent", "GET", "/orders/{number}/attachments/%C2%B2", None, 404),
    ("a superscript page number", "agent", "GET", "/orders?page=%C2%B2", None, 400),
    ("a file name longer than any file's", "anonymous", "GET", "/static/" + "x" * 300, None, 404),
    ("a forged CSRF token in another script", "boss", "POST", "/supervisor/sweep", "_csrf=中文".encode(), 403),
    ("a calendar override in year 1", "boss", "POST", "/supervisor/calendar", b"day=0001-01-01&kind=holiday&name=x",
     422),
    ("a calendar override in year 9999", "boss", "POST", "/supervisor/calendar",
     b"day=9999-12-31&kind=workday&name=x", 422),
]


async def test_the_reported_page_inputs_are_clear_4xx_pages_in_chinese(stage: Stage) -> None:
    wrong = []
    for what, who, method, path, body, status in PAGE_CASES:
        for name, value in stage.objects.items():
            path = path.replace("{" + name + "}", value)
        kind = FORM + ("; charset=klingon" if what.endswith("unknown charset") else "") if body is not None else None
        if body is not None and not body.startswith(b"_csrf="):
            body = f"_csrf={stage.csrf[who]}&".encode() + body
        reply = await stage.send(who, method, path, body=body, content_type=kind)
        page = path.startswith("/static/") or (reply.content_type.startswith("text/html") and "直通" in reply.text)
        if reply.status != status or not page or "Traceback" in reply.text:
            wrong.append(f"{what}: {reply.status} {reply.content_type} {reply.text[:120]!r}")
        elif status >= 400 and not path.startswith("/static/") and ("NUL" in reply.text or "surrogate" in reply.text):
            wrong.append(f"{what}: the page shows the English detail")
    assert not wrong, "\n".join(wrong)
