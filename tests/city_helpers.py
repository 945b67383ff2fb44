"""The city platform in tests: a server with the channel on, signed transfers, and a fake city that
receives (and at first refuses) our status updates."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from api_helpers import Api, start_api

from callcenter.city.signing import signature, signed_headers, verify

SECRET = "city-secret-0123456789abcdef0123456789"
OLD_SECRET = "old-city-secret-0123456789abcdef012345"
TRANSFER: dict[str, Any] = {
    "city_order_id": "MY12345-20261123-000123",
    "received_at": "2026-11-23T08:10:00+08:00",
    "deadline": "2026-11-25T18:00:00+08:00",
    "category": "help",
    "urgency": "normal",
    "subject": "道路施工影响货物运输",
    "content": "华翔路道路施工，附近企业货物无法运出，请协调。",
    "enterprise": {"name": "绵阳华翔物流有限公司", "contact_person": "王经理", "phone": "13800138000"},
}
PATH = "/api/city/v1/transfers"


def transfer(**changes: Any) -> dict[str, Any]:
    return {**TRANSFER, **changes}


async def post_transfer(api: Api, body: Any = None, *, raw: bytes | None = None, secret: str = SECRET,
                        skew_s: int = 0, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """POST a transfer signed at the server's (fake) time plus ``skew_s``."""
    data = raw if raw is not None else json.dumps(body if body is not None else TRANSFER, ensure_ascii=False).encode()
    signed = signed_headers(secret, api.clock.now, data)
    if skew_s:
        ts = int(api.clock.now.timestamp()) + skew_s
        signed = {**signed, "X-City-Timestamp": str(ts), "X-City-Signature": signature(secret, ts, data)}
    resp = await api.client.post(PATH, data=data, headers={**signed, **(headers or {})})
    return resp.status, await resp.json(content_type=None)


@dataclass
class FakeCity:
    """The city's side of the interface: checks our signature, answers ``fail_first`` requests 503."""

    fail_first: int = 0
    answer: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    clock: Any = None

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            verify([SECRET], request.headers.get("X-City-Timestamp"), request.headers.get("X-City-Signature"), raw,
                   self.clock())
        except Exception as exc:
            self.refused.append(getattr(exc, "error_id", str(exc)))
            return web.json_response({"error": "bad signature"}, status=401)
        if self.fail_first > 0:
            self.fail_first -= 1
            return web.json_response({"error": "busy"}, status=503)
        if self.answer != 200:
            return web.json_response({"error": "refused"}, status=self.answer)
        body = json.loads(raw)
        assert body["event_id"] == request.headers["X-City-Event-Id"]
        if body["event_id"] not in self.seen:  # the city de-duplicates by event id
            self.seen.add(body["event_id"])
            self.received.append(body)
        return web.json_response({"ok": True})


async def start_fake_city(city: FakeCity) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/district/v1/status-updates", city.handle)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("/district"))
    finally:
        await server.close()


@pytest.fixture(name="city")
async def fake_city() -> AsyncIterator[tuple[FakeCity, str]]:
    """A fake city platform listening on 127.0.0.1, and its base URL (import the fixture to use it)."""
    fake = FakeCity()
    async for url in start_fake_city(fake):
        yield fake, url


async def start_city_api(db_url: str, city: FakeCity, base_url: str, **settings: Any) -> AsyncIterator[Api]:
    async for api in start_api(db_url, city_secrets=(SECRET, OLD_SECRET), city_base_url=base_url, **settings):
        city.clock = api.clock
        yield api
