"""The problem+json middleware on a bare aiohttp app."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from callcenter.http.problems import BadRequest, Conflict, Forbidden, problem_middleware
from worksheet import errors as ws

RAISES: dict[str, Exception] = {
    "bad-json": BadRequest("body is not valid JSON"),
    "forbidden": Forbidden("needs the admin role"),
    "stale": Conflict("order 1 has version 3"),
    "invalid": ws.ValidationError("subject is required"),
    "credit": ws.InvalidCreditCode("check digit is wrong"),
    "transition": ws.InvalidTransition("registered", "check"),
    "window": ws.WindowClosed("dispatched", "return", "the return window closed"),
    "denied": ws.NotPermitted("agents may not reply"),
    "preset": ws.UnknownPreset("no preset 'x'"),
    "boom": RuntimeError("secret internals"),
}


async def _raise(request: web.Request) -> web.Response:
    raise RAISES[request.match_info["what"]]


@pytest.fixture
async def client() -> AsyncIterator[TestClient]:
    app = web.Application(middlewares=[problem_middleware])
    app.router.add_get("/raise/{what}", _raise)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        yield client


async def _problem(client: TestClient, method: str, path: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    resp = await client.request(method, path)
    assert resp.content_type == "application/problem+json"
    body = await resp.json(content_type=None)
    assert body["status"] == resp.status and body["title"] and body["detail"]
    assert body["type"] == f"https://zhitong.dev/problems/{body['error_id']}"
    return resp.status, body


@pytest.mark.parametrize(("what", "status", "error_id"), [
    ("bad-json", 400, "malformed-json"),
    ("forbidden", 403, "forbidden"),
    ("stale", 409, "version-conflict"),
    ("invalid", 422, "validation-failed"),
    ("credit", 422, "invalid-credit-code"),
    ("transition", 409, "invalid-transition"),
    ("window", 409, "window-closed"),
    ("denied", 403, "not-permitted"),
    ("preset", 422, "unknown-preset"),
])
async def test_mapped_errors(client: TestClient, what: str, status: int, error_id: str) -> None:
    got, body = await _problem(client, "GET", f"/raise/{what}")
    assert (got, body["error_id"]) == (status, error_id)


async def test_transition_names_state_and_command(client: TestClient) -> None:
    _, body = await _problem(client, "GET", "/raise/transition")
    assert (body["state"], body["command"]) == ("registered", "check")
    assert "check" in body["detail"] and "registered" in body["detail"]


async def test_unmapped_error_is_a_logged_opaque_500(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="zhitong.http"):
        status, body = await _problem(client, "GET", "/raise/boom")
    assert (status, body["error_id"]) == (500, "internal-error")
    assert "secret" not in body["detail"]
    assert any(r.exc_info and "secret internals" in str(r.exc_info[1]) for r in caplog.records)


async def test_unknown_route_is_404(client: TestClient) -> None:
    status, body = await _problem(client, "GET", "/nowhere")
    assert (status, body["error_id"]) == (404, "not-found")


async def test_wrong_method_is_405_with_allow(client: TestClient) -> None:
    resp = await client.post("/raise/boom")
    assert resp.status == 405 and resp.content_type == "application/problem+json"
    assert (await resp.json(content_type=None))["error_id"] == "method-not-allowed"
    assert "GET" in resp.headers["Allow"]
