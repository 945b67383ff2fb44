"""A client that goes away is normal, not an error (issue 13, item 4): closing a tab ends its event
stream with at most a DEBUG line, and its hub subscription is released even when nothing is
published; a download the client abandons is not an error either.

The app runs in-process on a real TCP port; the clients are raw sockets that vanish the way
browsers do: a reset (the tab killed) or an orderly close, mid-stream.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from callcenter.http import sse
from callcenter.keys import AUTH, LIVE
from tests.api_helpers import ORDER, Api, ServedLikeZhitongServe, start_api


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[Api]:
    async for value in start_api(db_url, server=ServedLikeZhitongServe):
        yield value


def problems(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log records a person on call would have to look at: warnings, errors, tracebacks."""
    return [f"{r.levelname} {r.name}: {r.getMessage()}" for r in caplog.records
            if r.levelno >= logging.WARNING or r.exc_info]


async def open_raw(api: Api, path: str, header: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A GET over a socket of our own; returns once the response head has arrived."""
    reader, writer = await asyncio.open_connection("127.0.0.1", api.client.port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{header}\r\n\r\n".encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 200"), head
    return reader, writer


def vanish(writer: asyncio.StreamWriter, reset: bool) -> None:
    if reset:
        writer.transport.abort()  # RST, as when the browser process is killed
    else:
        writer.close()  # FIN, as when a tab is closed


async def until(condition: object, what: str, seconds: float = 20.0) -> None:
    """Wait for ``condition()``; the bound only turns a hang into a failure."""
    for _ in range(int(seconds / 0.05)):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"still not {what} after {seconds} s")


async def test_closed_tabs_end_their_streams_quietly_and_release_their_subscriptions(
        api: Api, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG, logger="zhitong")
    # No keep-alive write will ever find the gone clients: only looking at the connection can.
    monkeypatch.setattr(sse, "KEEPALIVE_S", 3600.0)
    app = api.client.server.app
    hub, streams = app[LIVE], app[AUTH].streams
    stays_reader, stays = await open_raw(api, "/api/v1/live", f"Authorization: Bearer {api.tokens['agent']}")
    for i in range(40):
        path, header = ("/events", f"Cookie: zt_session={api.tokens['admin']}") if i % 2 == 0 else (
            "/api/v1/live", f"Authorization: Bearer {api.tokens['boss']}")
        _, writer = await open_raw(api, path, header)
        hub.publish({"kind": "partial", "call": f"c{i}", "text": "您好"})
        vanish(writer, reset=i % 3 != 0)
        if i < 20:  # these leave while events are being published; the rest leave quiet streams
            hub.publish({"kind": "partial", "call": f"c{i}", "text": "请讲"})
    await until(lambda: hub.subscribers == 1 and len(streams) == 1, "released (one stream stays open)")
    hub.publish({"kind": "final", "call": "last", "text": "还在"})
    received = await asyncio.wait_for(stays_reader.readuntil("还在".encode()), 10)
    assert b"event: final" in received  # the stream whose client stayed was not ended with the others
    vanish(stays, reset=True)
    await until(lambda: hub.subscribers == 0 and len(streams) == 0, "released")
    assert problems(caplog) == []
    assert any("the client went away" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)


async def test_a_download_the_client_abandons_is_not_an_error(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="zhitong")
    pdf = b"%PDF-1.4\n" + b"0" * (12 << 20) + b"\n%%EOF\n"  # more than the sockets' buffers hold
    form = aiohttp.FormData()
    form.add_field("file", pdf, filename="现场录像截图.pdf", content_type="application/pdf")
    resp = await api.client.post("/api/v1/attachments", data=form, headers=api.auth("agent"))
    assert resp.status == 201, await resp.text()
    blob = (await resp.json())["items"][0]["id"]
    status, order = await api.call("agent", "POST", "/api/v1/orders", {**ORDER, "attachments": [blob]})
    assert status == 201, order
    path = f"/api/v1/orders/{order['number']}/attachments/{blob}"
    for gone, reset in enumerate((True, False), start=1):
        _, writer = await open_raw(api, path, f"Authorization: Bearer {api.tokens['agent']}")
        vanish(writer, reset)
        await until(lambda n=gone: sum("went away" in r.getMessage() for r in caplog.records) >= n,
                    "noticed that the client went away")
    assert problems(caplog) == []
    status, _ = await api.call("agent", "GET", f"/api/v1/orders/{order['number']}")
    assert status == 200  # and the server serves on
