"""The OpenAPI document's query parameters: typed, their values the domain's, and true to the handlers.

The last test is a small property check in the spirit of schemathesis: every GET endpoint is called
at the edges of each declared parameter (minimum and maximum, each allowed value, a date-time) and
just past them, and the handler must accept the first (200) and refuse the second (422), so a
handler and its description cannot drift apart unnoticed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from api_helpers import Api, start_api
from openapi_spec_validator import validate

from callcenter.city.outbox import STATUSES as CITY_STATUSES
from callcenter.fax.receipts import STATUSES as FAX_STATUSES
from callcenter.http.openapi import DOCUMENT
from callcenter.http.query_params import typed
from callcenter.knowledge.model import STATUSES as ARTICLE_STATUSES
from callcenter.reports.periods import PeriodKind
from callcenter.sms.inbox import OUTCOMES
from callcenter.sms.outbox import STATUSES as SMS_STATUSES
from worksheet.model import CardColor, Category, Channel, Status

DOMAIN = {  # (path, parameter) → the values the domain has
    ("/api/v1/orders", "status"): [s.value for s in Status],
    ("/api/v1/orders", "category"): [c.value for c in Category],
    ("/api/v1/orders", "channel"): [c.value for c in Channel],
    ("/api/v1/orders", "card"): [c.value for c in CardColor],
    ("/api/v1/sms/outbox", "status"): list(SMS_STATUSES),
    ("/api/v1/sms/inbound", "outcome"): list(OUTCOMES),
    ("/api/v1/city/outbox", "status"): list(CITY_STATUSES),
    ("/api/v1/kb", "status"): [*ARTICLE_STATUSES, "all"],
    ("/api/v1/faxes", "status"): list(FAX_STATUSES),
    **{(p, "period"): [k.value for k in PeriodKind]
       for p in ("/api/v1/reports", "/api/v1/reports/export.csv", "/api/v1/reports/export.xlsx",
                 "/api/v1/reports/liaisons")},
}


def query_params() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                if param["in"] == "query":
                    yield path, method, param


def enum_of(param: dict[str, Any]) -> list[str] | None:
    schema = param["schema"]
    return (schema.get("items") or schema).get("enum")


def test_the_document_is_valid_openapi() -> None:
    validate(DOCUMENT)
    assert "+08:00" in DOCUMENT["info"]["description"]  # the time convention is documented


def test_every_query_parameter_is_typed_or_says_why_it_is_free_text() -> None:
    params = list(query_params())
    assert len(params) > 30
    untyped = [(path, p["name"]) for path, _, p in params if not typed(p)]
    assert untyped == []
    free = [p for _, _, p in params if "x-free-text" in p["schema"]]
    assert all(p["schema"]["x-free-text"].strip() for p in free)
    assert all("example" in p for _, _, p in params)
    limits = [p["schema"] for _, _, p in params if p["name"] in ("limit", "offset")]
    assert limits and all(s["type"] == "integer" and "minimum" in s and "maximum" in s for s in limits)


def test_every_list_that_takes_a_limit_declares_its_offset() -> None:
    names: dict[str, set[str]] = {}
    for path, _, p in query_params():
        names.setdefault(path, set()).add(p["name"])
    paged = {path for path, n in names.items() if "limit" in n}
    assert {"/api/v1/kb", "/api/v1/faxes", "/api/v1/users", "/api/v1/orders"} <= paged
    assert [path for path in paged if "offset" not in names[path]] == []


def test_every_enum_is_the_domains() -> None:
    enums = {(path, p["name"]): enum_of(p) for path, _, p in query_params() if enum_of(p)}
    assert enums == DOMAIN
    assert DOCUMENT["components"]["schemas"]["Order"]["properties"]["status"]["enum"] == [s.value for s in Status]


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[Api]:
    async for a in start_api(db_url):
        yield a


def cases(param: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Values the declaration allows, and values just outside it."""
    schema, example = param["schema"], param.get("example")
    if schema.get("type") == "integer":
        lo, hi = schema["minimum"], schema["maximum"]
        return [str(lo), str(hi)], [str(lo - 1), str(hi + 1), "x", "1.5"]
    if schema.get("type") == "boolean":
        return ["true", "false"], ["maybe"]
    if enum := enum_of(param):
        return list(enum), ["nonsense"]
    if schema.get("format") == "date-time":
        return [example], ["yesterday"]
    if "pattern" in schema:
        return [example], ["soon"]
    return [example], []  # free text: anything goes


async def test_handlers_accept_what_the_document_allows_and_refuse_the_rest(api: Api) -> None:
    failures = []
    checked = 0
    for path, method, param in query_params():
        if method != "get" or "{" in path:
            continue
        good, bad = cases(param)
        who = "admin" if path.startswith("/api/v1/users") else "boss"  # the user list is the admin's
        for value, expected in [(v, 200) for v in good] + [(v, 422) for v in bad]:
            resp = await api.client.get(f"{path}?{urlencode({param['name']: value})}", headers=api.auth(who))
            checked += 1
            if resp.status != expected:
                failures.append((path, param["name"], value, resp.status, (await resp.text())[:200]))
    assert checked > 100
    assert failures == []
