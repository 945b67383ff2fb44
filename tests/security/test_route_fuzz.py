"""Every route × method × role gets each class of bad input: never a 5xx, and the server keeps serving.

The routes come from the app's own router, so a route added later is fuzzed without touching this
file: its path parameters are filled from PATH_VALUES by name (an existing object where the stage
has one), with DEFAULT_VALUE for a name nobody listed. For each route the test sends

* each path parameter replaced by each of BAD_SEGMENTS (NUL, lone surrogates as UTF-8, invalid
  UTF-8, bad percent-encoding, huge and foreign-script numbers, traversal, overlong),
* for methods with a body, each of the bodies of `bodies()` (malformed, deep, huge numbers, NaN,
  NUL, surrogates, invalid UTF-8, wrong types, extreme dates, forms that do not decode, wrong
  content types) from every role, with the role's CSRF token so pages get past the CSRF check,
* for GET, each query parameter name any handler reads with values of its kind (QUERY_PROBES),
  from the roles that get past the route's role check,
* odd headers (ODD_HEADERS) and a body over the size limit, as the admin,

and checks /healthz after each route; then requests no HTTP client would send (RAW_REQUESTS: bytes
that are not UTF-8 or NUL in the request line and headers, overlong headers, broken chunking,
smuggling-shaped framing, a body cut off). Invalid bytes in the Authorization header and the
session cookie are left out: the authentication work's tests own that case.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from aiohttp import web

from tests.security.hostile import ROLES, Stage, open_stage

PATH_VALUES = {"action": "accept", "page": "1", "index": "0", "decision": "confirm", "ext": "csv",
               "filename": "app.css"}
ALIASES = {"ref": "id"}  # the knowledge page's {ref} is an article id
DEFAULT_VALUE = "1"
BAD_SEGMENTS = ("%00", "a%00b", "%ED%A0%80", "%ff%fe", "%zz", "9" * 40, "-1", "%D9%A3", "%C2%B2",
                "..%2F..%2F..%2Fetc%2Fpasswd", "x" * 3000, "%E4%B8%AD%E6%96%87")
JSON, FORM, MULTIPART = "application/json", "application/x-www-form-urlencoded", "multipart/form-data"
FIELDS = ("channel", "category", "urgency", "enterprise", "subject", "content", "received_at", "attachments",
          "draft", "preset", "note", "changes", "answer", "lead_unit", "co_units", "kind", "amount", "reason",
          "basis", "approve", "passed", "rating", "decision", "explanation", "into", "text", "source", "version",
          "username", "password", "role", "unit", "title", "body", "keywords", "status", "at", "label", "day",
          "name", "active", "archive", "next", "MessageSid", "From", "Body")
EXTREME_DATES = {"received_at": "0001-01-01T00:00:00+14:00", "at": "9999-12-31T23:59:59-12:00",
                 "changes": {"received_at": "9999-12-31T23:59:59-12:00"}, "day": "0001-01-01"}
ODD_HEADERS = (  # grouped where one cannot hide another; the credentials ones alone
    {"If-Match": '"' + "9" * 5000 + '"', "Accept": "x/y;q=abc, */*;q=-1", "Range": "bytes=999999999999999999999-1",
     "If-Modified-Since": "Mon, 99 Foo 99999 99:99:99 GMT", "X-Forwarded-For": "999.999.999.999, ::ffff:zz",
     "Accept-Language": "x" * 4000, "Origin": "null"},
    {"If-Match": 'W/"x", *', "If-None-Match": "*", "Content-Type": "application/json; charset=klingon",
     "X-CSRF-Token": "中文%00" * 20, "Accept-Encoding": "br;q=x, *;q=-1"},
    {"Cookie": 'zt_session=; other="x; y=%00'}, {"Authorization": "Basic Og=="}, {"Authorization": "Bearer " + "a" * 4000})
INT_VALUES = ("9" * 30, "-1", "%C2%B2", "9" * 5000)
DATE_VALUES = ("9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00%2B14:00", "2026-11-23T09:00:00", "0000-01",
               "%D9%A2%D9%A0%D9%A2%D9%A6-W53")
TEXT_VALUES = ("%00", "%ED%A0%80", "%ff%fe", "x" * 400)
QUERY_PROBES = ((("limit", "offset", "page", "version"), INT_VALUES),
                (("from", "to", "date", "month", "at", "period"), DATE_VALUES),
                (("q", "status", "unit", "category", "channel", "card", "overdue", "order_number", "caller",
                  "outcome", "next", "done", "saved", "swept", "ext"), TEXT_VALUES))
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SIGN_IN = frozenset({("POST", "/login"), ("POST", "/api/v1/auth/token")})
OVERSIZED = b'{"note": "' + b"x" * (2 << 20) + b'"}'
RAW_REQUESTS = (
    b"GET /orders/\xff\xfe?q=\xff HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /api/v1/orders?q=a\x00b HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\x00b\xff\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 20_000 + b"\r\n\r\n",
    b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Many: 1\r\n" * 500 + b"\r\n",
    b"POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    b"POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 9\r\n\r\n{}",
    b"POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"BREW /healthz HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET /healthz\r\n\r\n",
    b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 100\r\n\r\nusername=a",  # the client hangs up mid-body
)


@dataclass(frozen=True)
class Route:
    method: str
    template: str  # e.g. /api/v1/orders/{number}/{action}
    params: tuple[str, ...]

    @property
    def page(self) -> bool:
        return not self.template.startswith(("/api/", "/webhooks/"))


def app_routes(app: web.Application) -> list[Route]:
    """Every route of the app but HEAD (the GET handler answers it), in a stable order."""
    found = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        if "prefix" in info:  # static files
            template = info["prefix"] + "/{filename}"
        else:
            template = info.get("formatter") or info.get("path") or ""
        params = tuple(re.findall(r"{(\w+)}", template))
        for method in (("GET", "POST") if route.method == "*" else (route.method,)):
            if method != "HEAD":
                found.add(Route(method, template, params))
    return sorted(found, key=lambda r: (r.template, r.method))


def fill(stage: Stage, route: Route, **bad: str) -> str:
    """The route's path with each parameter an existing object (or a plain value), except ``bad``."""
    path = route.template
    for name in route.params:
        value = bad.get(name)
        if value is None:
            good = stage.objects.get(ALIASES.get(name, name)) or PATH_VALUES.get(name, DEFAULT_VALUE)
            value = quote(good, safe="")
        path = path.replace("{" + name + "}", value)
    return path


def bodies(csrf: str) -> Iterator[tuple[str, str, bytes]]:
    token = f"_csrf={csrf}&".encode() if csrf else b""
    wrong = [{f: [] for f in FIELDS}, {f: {"$gt": ""} for f in FIELDS}, {f: -1 for f in FIELDS},
             {f: "x" * 20_000 for f in FIELDS}]
    yield "deep array", JSON, b"[" * 50_000 + b"]" * 50_000
    yield "deep object", JSON, b'{"note":' * 3000 + b"1" + b"}" * 3000
    yield "5000-digit number", JSON, b'{"version": ' + b"9" * 5000 + b', "amount": 1}'
    yield "huge numbers", JSON, b'{"version": 99999999999999999, "amount": -99999999999, "id": 1e308, "x": 1e-400}'
    yield "NaN", JSON, b'{"amount": NaN, "version": Infinity, "at": -Infinity}'
    yield "lone surrogates", JSON, b'{"subject": "\\ud800", "note": "x\\udfff", "\\udc00": 1, "answer": "\\ud83d"}'
    yield "NUL", JSON, b'{"subject": "a\\u0000b", "content": "\\u0000", "note": "\\u0000", "\\u0000": 1}'
    yield "invalid UTF-8", JSON, b'{"note": "\xff\xfe\xed\xa0\x80"}'
    yield "truncated", JSON, b'{"note": '
    yield "not an object", JSON, b'[1, "2", null]'
    for i, shape in enumerate(wrong):
        yield f"wrong types {i}", JSON, json.dumps(shape).encode()
    yield "extreme dates", JSON, json.dumps(EXTREME_DATES).encode()
    yield "empty", JSON, b""
    yield "form NUL", FORM, token + b"note=a%00b&title=%00&day=2026-11-23&%00=1"
    yield "form invalid UTF-8", FORM, token + b"note=\xff\xfe&title=%ff&body=\xed\xa0\x80"
    yield "form unknown charset", FORM + "; charset=klingon", token + b"note=1"
    yield "form extreme values", FORM, token + (b"version=99999999999999999999&amount=" + b"9" * 5000 +
                                                 b"&day=9999-12-31&page=%C2%B2&approve=maybe&passed=%00"
                                                 b"&received_at=0001-01-01T00:00:00%2B14:00&co_units=%00")
    yield "form foreign digits", FORM, token + "version=٣&amount=²&day=٢٠٢٦-١١-٢٣".encode()
    yield "form with a forged non-ASCII CSRF token", FORM, "_csrf=中文&note=x".encode()
    yield "multipart without boundary", MULTIPART, b"--x\r\n\r\n"
    yield "multipart NUL", MULTIPART + "; boundary=zz", (
        b"--zz\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n" + csrf.encode() +
        b"\r\n--zz\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\na\x00b\xff\r\n--zz--\r\n")
    yield "xml", "application/xml", b"<?xml version='1.0'?><a>&lt;</a>" + bytes(range(256))


@pytest.fixture
async def stage(db_url: str) -> AsyncIterator[Stage]:
    async for value in open_stage(db_url):
        yield value


class Probe:
    """Sends requests and keeps every 5xx (or failure to answer) for one report at the end."""

    def __init__(self, stage: Stage) -> None:
        self.stage, self.failures, self.sent = stage, list[str](), 0

    async def __call__(self, what: str, who: str, method: str, path_qs: str, **kw: object) -> int:
        self.sent += 1
        try:
            reply = await self.stage.send(who, method, path_qs, **kw)  # type: ignore[arg-type]
        except Exception as exc:  # noqa: BLE001 - the server must answer; anything else is a finding
            self.failures.append(f"{what}: {who} {method} {path_qs[:100]} -> {exc!r}")
            return 0
        if reply.status >= 500:
            self.failures.append(f"{what}: {who} {method} {path_qs[:100]} -> {reply.status} {reply.text[:200]}")
        return reply.status

    async def alive(self, after: str) -> None:
        reply = await self.stage.send("anonymous", "GET", "/healthz")
        if reply.status != 200:
            self.failures.append(f"/healthz answered {reply.status} after {after}")

    async def signed_in(self) -> None:
        """Sign a role in again when a fuzzed route ended its session (POST /logout with its cookie,
        DELETE /api/v1/auth/token with its token)."""
        for who in ROLES[1:]:
            if (await self.stage.send(who, "GET", "/orders")).status != 200:
                await self.stage.relogin(who)
            if (await self.stage.send(who, "GET", "/api/v1/me")).status != 200:
                await self.stage.new_token(who)


async def fuzz_route(probe: Probe, route: Route, *, roles: tuple[str, ...] = ROLES) -> None:
    stage, label, plain = probe.stage, f"{route.method} {route.template}", fill(probe.stage, route)
    for name in route.params:
        for bad in BAD_SEGMENTS:
            for who in ("anonymous", "zjj", "admin"):
                await probe(f"{label} with {name}={bad[:20]}", who, route.method, fill(stage, route, **{name: bad}))
    if route.method in BODY_METHODS:
        for who in roles:
            for what, kind, body in bodies(stage.csrf.get(who, "")):
                await probe(f"{label} with {what}", who, route.method, plain, body=body, content_type=kind)
        await probe(f"{label} oversized", roles[-1], route.method, plain, body=OVERSIZED, content_type=JSON)
    if route.method == "GET":
        for who in await query_roles(probe, plain):
            await query_probes(probe, label, who, plain)
    for headers in ODD_HEADERS:
        await probe(f"{label} with {next(iter(headers))}", roles[-1], route.method, plain, headers=headers)
    await probe(f"{label} by PATCH", roles[-1], "PATCH", plain, body=b"{}", content_type=JSON)


async def query_roles(probe: Probe, plain: str) -> list[str]:
    """The most privileged role that gets past the route's role check: its handler reads the query."""
    for who in ("admin", "boss", "agent", "zjj", "anonymous"):
        if await probe("query baseline", who, "GET", plain) in range(200, 400):
            return [who]
    return []


async def query_probes(probe: Probe, label: str, who: str, plain: str) -> None:
    """Number and date parameters one at a time (each has its own parser); the text ones together."""
    for names, values in QUERY_PROBES[:2]:
        for name in names:
            for value in values:
                await probe(f"{label}?{name}={value[:20]}", who, "GET", f"{plain}?{name}={value}")
    text_names = QUERY_PROBES[2][0]
    for value in QUERY_PROBES[2][1]:
        await probe(f"{label}?(text)={value[:20]}", who, "GET", plain + "?" + "&".join(f"{n}={value}"
                                                                                      for n in text_names))


async def raw_request(probe: Probe, raw: bytes) -> None:
    """Send bytes as they are and read the status line (none when the server waits for the rest of a
    body that never comes); it must not be a 5xx. Then hang up."""
    host, port = probe.stage.api.client.server.host, probe.stage.api.client.server.port
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(raw)
        await writer.drain()
        answer = await asyncio.wait_for(reader.readline(), 5)
    except TimeoutError:
        answer = b""
    finally:
        writer.close()
    probe.sent += 1
    if not re.match(rb"HTTP/\d\.\d [1-4]\d\d ", answer) and not (answer == b"" and raw.endswith(b"username=a")):
        probe.failures.append(f"raw {raw[:60]!r} -> {answer[:80]!r}")
    await probe.alive(f"raw {raw[:40]!r}")


async def test_no_route_answers_bad_input_with_a_5xx(stage: Stage) -> None:
    routes = app_routes(stage.api.client.server.app)
    assert {("POST", "/api/v1/orders/{number}/{action}"), ("GET", "/events")} <= {(r.method, r.template)
                                                                                   for r in routes}
    probe = Probe(stage)
    for route in routes:
        if (route.method, route.template) not in SIGN_IN:
            await fuzz_route(probe, route)
            await probe.alive(f"{route.method} {route.template}")
            await probe.signed_in()
    # Last, and only anonymously: each body that reaches the password check is a failed sign-in,
    # which the throttle counts against this address.
    for route in routes:
        if (route.method, route.template) in SIGN_IN:
            await fuzz_route(probe, route, roles=("anonymous",))
    for raw in RAW_REQUESTS:
        await raw_request(probe, raw)
    assert not probe.failures, f"{len(probe.failures)} of {probe.sent} requests failed:\n" + "\n".join(
        probe.failures[:80])
    # Still serving real work: an order is taken and reads back.
    status, created = await stage.api.call("agent", "POST", "/api/v1/orders", {
        "channel": "phone", "category": "help", "subject": "路灯不亮", "content": "华翔路路灯不亮。",
        "enterprise": {"name": "绵阳华翔物流有限公司"}})
    assert status == 201, created
    assert (await stage.api.call("agent", "GET", f"/api/v1/orders/{created['number']}"))[0] == 200
