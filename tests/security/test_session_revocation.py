"""Sessions end at once (issue 11, finding 4): after logout or when an admin disables the user, the
token and the cookie are refused by every node at the next request, and open event streams end
within a second or two, on this node and on the others."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from callcenter.app import build_app
from callcenter.keys import AUTH
from callcenter.settings import Settings
from tests.api_helpers import Api, start_api
from tests.security.web_login import page_csrf, post_login

STREAM_ENDS_WITHIN_S = 3.0  # the watcher looks once a second


@dataclass
class Nodes:
    api: Api  # node A, with the users' API tokens
    other: TestClient  # node B: another app on the same database

    async def cookie_for(self, username: str) -> str:
        """Sign ``username`` in on node A's pages; the session cookie's value."""
        client = self.api.client
        client.session.cookie_jar.clear()
        assert (await post_login(client, username)).status == 303
        return str(client.session.cookie_jar.filter_cookies(client.make_url("/"))["zt_session"].value)

    async def as_admin(self) -> str:
        """Node A's client signed in as admin (its cookie jar); the page CSRF token."""
        await self.cookie_for("admin")
        return await page_csrf(self.api.client, "/admin/users")


@pytest.fixture
async def nodes(db_url: str) -> AsyncIterator[Nodes]:
    async for api in start_api(db_url):
        other = TestClient(TestServer(build_app(Settings(database_url=db_url), telephony=False), host="127.0.0.1"))
        await other.start_server()
        try:
            yield Nodes(api, other)
        finally:
            await other.close()


async def status(client: TestClient, path: str, **headers: str) -> int:
    """GET with exactly these credentials (not the test client's cookie jar)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        async with session.get(client.make_url(path), headers=headers, allow_redirects=False) as resp:
            await resp.read()
            return resp.status


def bearer(api: Api, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api.tokens[who]}"}


async def disable(nodes: Nodes, username: str) -> None:
    csrf = await nodes.as_admin()
    resp = await nodes.api.client.post(f"/admin/users/{username}/active", data={"_csrf": csrf, "active": "false"})
    assert resp.status == 200 and "已停用" in await resp.text()


async def test_disabling_a_user_refuses_token_and_cookie_at_once_on_every_node(nodes: Nodes) -> None:
    api, other = nodes.api, nodes.other
    cookie = await nodes.cookie_for("agent")
    for client in (api.client, other):  # both nodes have the sessions cached now
        assert await status(client, "/api/v1/me", **bearer(api, "agent")) == 200
        assert await status(client, "/agent", Cookie=f"zt_session={cookie}") == 200
    await disable(nodes, "agent")
    for client in (api.client, other):
        assert await status(client, "/api/v1/me", **bearer(api, "agent")) == 401
        assert await status(client, "/agent", Cookie=f"zt_session={cookie}") == 303  # to the login page
    assert await status(other, "/api/v1/me", **bearer(api, "boss")) == 200  # nobody else is affected


async def test_logout_refuses_the_cookie_at_once_on_every_node(nodes: Nodes) -> None:
    client = nodes.api.client
    cookie = await nodes.cookie_for("boss")
    assert await status(nodes.other, "/supervisor", Cookie=f"zt_session={cookie}") == 200
    resp = await client.post("/logout", data={"_csrf": await page_csrf(client, "/supervisor")}, allow_redirects=False)
    assert resp.status == 303
    for node in (client, nodes.other):
        assert await status(node, "/supervisor", Cookie=f"zt_session={cookie}") == 303


async def test_an_api_client_logs_out_its_token(nodes: Nodes) -> None:
    api = nodes.api
    assert await status(nodes.other, "/api/v1/me", **bearer(api, "jtj")) == 200
    resp = await api.client.delete("/api/v1/auth/token", headers=bearer(api, "jtj"))
    assert resp.status == 204
    for node in (api.client, nodes.other):
        assert await status(node, "/api/v1/me", **bearer(api, "jtj")) == 401
    assert await status(nodes.other, "/api/v1/me", **bearer(api, "zjj")) == 200


async def open_stream(client: TestClient, path: str, **headers: str) -> ClientResponse:
    if "Cookie" in headers:
        client.session.cookie_jar.clear()  # exactly the session given
    resp = await client.get(path, headers=headers)
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
    return resp


async def ended(resp: ClientResponse) -> str:
    """The rest of the stream, which must end soon."""
    try:
        return (await asyncio.wait_for(resp.content.read(), STREAM_ENDS_WITHIN_S)).decode()
    except TimeoutError:
        pytest.fail(f"the event stream was still open {STREAM_ENDS_WITHIN_S} s after the session ended")
    finally:
        resp.close()


async def test_logout_ends_the_event_streams_of_that_session(nodes: Nodes) -> None:
    client = nodes.api.client
    cookie = await nodes.cookie_for("agent")
    here = await open_stream(client, "/events")
    there = await open_stream(nodes.other, "/events", Cookie=f"zt_session={cookie}")
    bystander = await open_stream(nodes.other, "/api/v1/live", **bearer(nodes.api, "boss"))
    resp = await client.post("/logout", data={"_csrf": await page_csrf(client, "/agent")}, allow_redirects=False)
    assert resp.status == 303
    assert 'event: end\ndata: {"reason": "revoked"}' in await ended(here)
    assert 'event: end\ndata: {"reason": "revoked"}' in await ended(there)  # revoked on another node
    with pytest.raises(TimeoutError):  # another session's stream goes on
        await asyncio.wait_for(bystander.content.read(1), 1.5)
    bystander.close()


async def test_disabling_a_user_ends_their_streams_on_every_node(nodes: Nodes) -> None:
    api = nodes.api
    streams = [await open_stream(api.client, "/api/v1/live", **bearer(api, "agent")),
               await open_stream(nodes.other, "/api/v1/live", **bearer(api, "agent"))]
    cookie = await nodes.cookie_for("agent")
    streams.append(await open_stream(nodes.other, "/events", Cookie=f"zt_session={cookie}"))
    await disable(nodes, "agent")
    for stream in streams:
        assert '"reason": "revoked"' in await ended(stream)


async def test_a_stream_opened_with_a_revoked_token_is_refused(nodes: Nodes) -> None:
    api = nodes.api
    await api.client.delete("/api/v1/auth/token", headers=bearer(api, "agent"))
    resp = await nodes.other.get("/api/v1/live", headers=bearer(api, "agent"))
    assert resp.status == 401


async def test_a_generation_read_in_flight_never_serves_a_later_request() -> None:
    """Concurrent requests share generation reads, but a request arriving while a read is in
    flight waits for the next read: the one in flight may predate a revocation it must see."""
    from callcenter.auth.generation import SharedRead

    generation, gates, issued = 0, [asyncio.Event(), asyncio.Event()], []

    async def read() -> int:
        seen = generation  # what the database holds when the query starts
        issued.append(seen)
        await gates[len(issued) - 1].wait()
        return seen

    shared = SharedRead(read)
    first = [asyncio.create_task(shared()) for _ in range(5)]
    await asyncio.sleep(0.01)  # the first read is in flight
    generation = 1  # a revocation commits
    later = [asyncio.create_task(shared()) for _ in range(5)]
    await asyncio.sleep(0.01)
    gates[0].set()
    assert await asyncio.gather(*first) == [0] * 5
    gates[1].set()
    assert await asyncio.gather(*later) == [1] * 5  # not the 0 the first read saw
    assert issued == [0, 1]  # ten requests, two reads


async def test_the_generation_reader_survives_a_lost_database_connection(nodes: Nodes) -> None:
    """The per-request read has a connection of its own; if the database drops it (a restart),
    the next request reconnects instead of failing."""
    reader = nodes.api.client.app[AUTH]._generation_reader
    assert await status(nodes.api.client, "/api/v1/me", **bearer(nodes.api, "agent")) == 200
    if reader._raw is not None:  # SQLite: read inline through the stdlib driver (callcenter/db/direct.py)
        reader._raw.dbapi_connection.close()
    else:
        await reader._driver.close()  # what a database restart does to it
    assert await status(nodes.api.client, "/api/v1/me", **bearer(nodes.api, "agent")) == 200
    await disable(nodes, "agent")
    assert await status(nodes.api.client, "/api/v1/me", **bearer(nodes.api, "agent")) == 401
