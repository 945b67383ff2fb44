"""A busy `zhitong serve --demo` stops within 5 s of SIGTERM or SIGINT (issue 13, item 5), one
worker or two, and a client that goes away is not an error (item 4).

Two demo servers that had run 10+ minutes took 45 s and 70 s to stop: the event loop was done in a
fraction of a second, then the interpreter waited at exit for a Vosk decode in an executor thread
(the speech queue is never empty on a loaded demo) and freed the speech model object by object.
Here the demo is busy the way it was then: simulated calls and their transcriptions, event streams
held open and tabs closed over and over, orders being created when the signal arrives.

The bound is the property asked for: "stops within 5 s" (timed from the signal to the exit).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
from pathlib import Path

import aiohttp
import pytest

from tests.serve_helpers import Served, api_token, serving

STOP_BOUND_S = 5.0
ORDER = {"channel": "web", "category": "help", "enterprise": {"name": "绵阳华翔物流有限公司"},
         "subject": "道路施工影响货物运输", "content": "华翔路道路施工，货车无法进出园区。"}


async def open_stream(served: Served, path: str, header: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{header}\r\n\r\n".encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    assert head.startswith(b"HTTP/1.1 200"), head
    return reader, writer


async def close_tabs(served: Served, token: str, count: int) -> None:
    """Browser tabs that open the page's stream and are closed (reset or FIN) a moment later."""
    for i in range(count):
        path, header = ("/events", f"Cookie: zt_session={token}") if i % 2 else (
            "/api/v1/live", f"Authorization: Bearer {token}")
        _, writer = await open_stream(served, path, header)
        await asyncio.sleep(0.05 * (i % 3))
        if i % 3:
            writer.transport.abort()
        else:
            writer.close()


async def create(http: aiohttp.ClientSession, served: Served, token: str) -> str | None:
    """An order; its number if the server acknowledged it (a request the stop cut off: None)."""
    with contextlib.suppress(aiohttp.ClientError):
        async with http.post(f"{served.base}/api/v1/orders", json=ORDER,
                             headers={"Authorization": f"Bearer {token}"}) as resp:
            if resp.status == 201:
                return str((await resp.json())["number"])
    return None


@pytest.mark.parametrize(("signum", "workers"), [(signal.SIGTERM, 1), (signal.SIGINT, 1),
                                                 (signal.SIGTERM, 2), (signal.SIGINT, 2)],
                         ids=["sigterm", "sigint", "sigterm-2-workers", "sigint-2-workers"])
async def test_a_busy_demo_stops_within_5_s_and_loses_nothing_it_accepted(
        tmp_path: Path, signum: int, workers: int) -> None:
    database = tmp_path / "demo.sqlite3"
    async with serving(tmp_path, f"sqlite+aiosqlite:///{database}", "--demo", "--workers", str(workers)) as served:
        children = served.children()
        assert len(children) == workers - 1
        async with aiohttp.ClientSession() as http:
            token = await api_token(http, served)
            stays = [await open_stream(served, path, header) for path, header in (
                ("/events", f"Cookie: zt_session={token}"), ("/api/v1/live", f"Authorization: Bearer {token}"))]
            await close_tabs(served, token, 30)
            before = [await create(http, served, token) for _ in range(5)]
            assert None not in before
            in_flight = [asyncio.create_task(create(http, served, token)) for _ in range(20)]
            await asyncio.sleep(0.05)
            took = await served.stop(signum)
            acknowledged = [n for n in [*before, *await asyncio.gather(*in_flight)] if n is not None]
            ends = [await asyncio.wait_for(reader.read(), 10) for reader, _ in stays]
    log = served.output()
    assert took < STOP_BOUND_S, f"{signal.Signals(signum).name} took {took:.1f} s:\n{log[-3000:]}"
    assert served.process.returncode == 0, log[-3000:]
    assert [pid for pid in children if Path(f"/proc/{pid}").exists()] == []
    assert "ERROR" not in log and "Traceback" not in log, log[-5000:]
    for end in ends:
        assert b'event: end\ndata: {"reason": "shutdown"}' in end
    with contextlib.closing(sqlite3.connect(database)) as db:
        stored = {row[0] for row in db.execute("SELECT number FROM orders WHERE channel = 'web'")}
    assert set(acknowledged) <= stored  # every 201 survived the stop
