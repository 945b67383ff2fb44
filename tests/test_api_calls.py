"""Call records, their transcripts and the live transcript stream over HTTP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from callcenter.ami.codec import AmiDecoder
from callcenter.keys import CALLS, LIVE, SPEECH
from tests.api_helpers import Api, start_api


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[Api]:
    async for a in start_api(db_url):
        yield a


async def test_calls_are_listed_and_shown_with_transcripts(api: Api, shared_dir: Path) -> None:
    app = api.client.server.app
    calls = app[CALLS]
    data = (shared_dir / "fixtures" / "asterisk" / "ami" / "inbound-ivr-call.rx.bin").read_bytes()
    for msg in AmiDecoder().feed(data):
        await calls.on_event(msg)
    await calls.close()
    await app[SPEECH].transcripts.save(source="/srv/hotline1/recordings/msg-1795435368.0.wav", linkedid="1795435368.0",
                                       transcript={"status": "ok", "text": "你好", "duration_s": 1.0,
                                                   "words": [{"word": "你好", "start": 0.1, "end": 0.6, "conf": 0.9}]},
                                       now=api.clock())
    status, body = await api.call("agent", "GET", "/api/v1/calls")
    assert status == 200 and [c["linkedid"] for c in body["items"]] == ["1795435368.0"]
    status, call = await api.call("boss", "GET", "/api/v1/calls/1795435368.0")
    assert status == 200 and call["dtmf"] == "42#1#" and call["transcripts"][0]["words"][0]["word"] == "你好"
    status, problem = await api.call("agent", "GET", "/api/v1/calls/nope")
    assert status == 404 and problem["error_id"] == "call-not-found"
    status, problem = await api.call("zjj", "GET", "/api/v1/calls")  # unit handlers do not see calls
    assert status == 403
    status, problem = await api.call("agent", "GET", "/api/v1/calls?limit=x")
    assert status == 422


async def test_live_transcripts_stream_as_server_sent_events(api: Api) -> None:
    app = api.client.server.app
    resp = await api.client.get("/api/v1/live", headers=api.auth("agent"))
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/event-stream")
    for _ in range(100):  # the subscription starts when the handler runs
        if app[LIVE]._subscribers:
            break
        await asyncio.sleep(0.01)
    app[LIVE].publish({"call": "a07f26c2", "kind": "partial", "text": "我 是 华翔"})
    event = await asyncio.wait_for(resp.content.readuntil(b"\n\n"), 5)
    lines = event.decode().splitlines()
    assert lines[0] == "event: partial" and json.loads(lines[1].removeprefix("data: "))["text"] == "我 是 华翔"
    resp.close()
