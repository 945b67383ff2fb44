"""The durable transcription queue: recordings -> transcripts -> draft fields, on both databases."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.app import build_services
from callcenter.db.migrate import upgrade
from callcenter.orders.services import SYSTEM, SearchQuery
from callcenter.settings import Settings
from callcenter.speech.drafts import EMPTY_CONTENT
from callcenter.speech.jobs import MAX_ATTEMPTS, JobRepository, TranscriptRepository
from callcenter.speech.services import SpeechService
from worksheet import commands as c
from worksheet.intake import NewOrder
from worksheet.model import Actor, Category, Channel, Enterprise, Role, Status

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
TEXT = "喂 你好 我 是 华 翔 物流 的 我们 这边 道路 施工 货 运 不 出去"


@dataclass(frozen=True)
class FakeWord:
    word: str
    start: float
    end: float
    conf: float = 0.9


@dataclass
class FakeTranscript:
    text: str
    status: str = "ok"
    words: tuple[FakeWord, ...] = ()
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "status": self.status, "duration_s": 4.0, "rtf": 0.1,
                "words": [{"word": w.word, "start": w.start, "end": w.end, "conf": w.conf} for w in self.words]}


@dataclass
class FakeEngine:
    """Transcribes by file name: missing files fail like a recording Asterisk has not written yet."""

    texts: dict[str, str] = field(default_factory=dict)

    async def transcribe_file(self, path: Path) -> FakeTranscript:
        if str(path) not in self.texts:
            return FakeTranscript("", status="invalid-audio", detail="no such file")
        text = self.texts[str(path)]
        words = tuple(FakeWord(w, i * 0.5, i * 0.5 + 0.4) for i, w in enumerate(text.split()))
        return FakeTranscript(text.replace(" ", ""), words=words)


async def fake_extract(text: str, caller: str | None, words: Sequence[Any]) -> dict[str, Any]:
    if not text:
        return {"empty": True}
    return {"empty": False,
            "category": {"value": "help", "confidence": 0.8, "span": {"start": 0, "end": 2}},
            "urgency": {"value": "normal", "confidence": 0.6, "span": None},
            "enterprise_name": {"value": "绵阳华翔物流有限公司", "confidence": 0.9, "span": {"start": 5, "end": 9}},
            "contact_phone": {"value": caller, "confidence": 0.4, "span": None},
            "subject": {"value": "道路施工影响货运", "confidence": 0.7, "span": None},
            "summary": {"value": "道路施工，货运不出去", "confidence": 0.7, "span": None}}


@pytest.fixture
async def stack(db_url: str) -> AsyncIterator[tuple[Any, AsyncEngine]]:
    await upgrade(db_url)
    # Recordings are read from our folder by the name Asterisk reports (here, one that needs no files).
    services = build_services(Settings(database_url=db_url, recordings_dir="/rec"), clock=lambda: NOW)
    yield services, services.engine
    await services.engine.dispose()


def speech(services: Any, engine: FakeEngine | None) -> SpeechService:
    return SpeechService(JobRepository(services.engine), TranscriptRepository(services.engine), services.orders,
                         services.calls, lambda: NOW, engine=engine, extract=fake_extract, blobs=services.blobs)


async def draft(services: Any, recording: str) -> str:
    blob = await services.blobs.register_recording(recording)
    spec = NewOrder(channel=Channel.PHONE, category=Category.HELP, enterprise=Enterprise("来电 138****8000",
                    phone="13800138000"), subject="反映问题留言（待转写）", content="待转写", received_at=NOW,
                    attachments=(blob.id,), draft=True)
    return (await services.orders.create(spec, SYSTEM)).number


async def test_a_message_fills_its_draft_and_keeps_the_transcript(stack: tuple[Any, AsyncEngine]) -> None:
    services, _ = stack
    svc = speech(services, FakeEngine({"/rec/msg-1.wav": TEXT}))
    number = await draft(services, "/rec/msg-1.wav")
    await svc.enqueue(kind="message", path="/rec/msg-1.wav", linkedid="1.1", order_number=number, caller="13800138000")
    assert await svc.run_once() and not await svc.run_once()
    order = await services.orders.get(number, SYSTEM)
    assert order.status == Status.DRAFT  # nobody confirmed it
    assert order.enterprise.name == "绵阳华翔物流有限公司" and order.subject == "道路施工影响货运"
    assert "华翔物流" in order.content
    suggestion = next(e.data["suggestion"] for e in order.history if e.type == "amend-draft")
    assert suggestion["fields"]["enterprise_name"]["span"] == {"start": 5, "end": 9}
    (stored,) = await svc.transcripts.for_call("1.1")
    assert stored["text"] == TEXT.replace(" ", "") and stored["words"][0]["word"] == "喂"
    assert await svc.jobs.counts() == {"done": 1}


async def test_silence_gives_an_empty_draft_not_an_error(stack: tuple[Any, AsyncEngine]) -> None:
    services, _ = stack
    svc = speech(services, FakeEngine({"/rec/msg-2.wav": ""}))
    number = await draft(services, "/rec/msg-2.wav")
    await svc.enqueue(kind="message", path="/rec/msg-2.wav", linkedid=None, order_number=number, caller=None)
    await svc.run_once()
    order = await services.orders.get(number, SYSTEM)
    assert order.content == EMPTY_CONTENT and order.history[-1].data["suggestion"]["empty"] is True


async def test_a_missing_recording_is_retried_then_the_draft_says_so(stack: tuple[Any, AsyncEngine]) -> None:
    services, _ = stack
    svc = speech(services, FakeEngine())
    number = await draft(services, "/rec/gone.wav")
    await svc.enqueue(kind="message", path="/rec/gone.wav", linkedid=None, order_number=number, caller=None)
    for _ in range(MAX_ATTEMPTS):
        assert await svc.run_once()
    assert not await svc.run_once()
    assert await svc.jobs.counts() == {"failed": 1}
    order = await services.orders.get(number, SYSTEM)
    suggestion = order.history[-1].data["suggestion"]
    assert order.status == Status.DRAFT and "recording not found: gone.wav" in suggestion["error"]
    assert suggestion["source"] == "gone.wav" and "/rec" not in str(suggestion)  # no server path for agents


async def test_jobs_survive_a_restart_and_wait_while_speech_is_disabled(stack: tuple[Any, AsyncEngine]) -> None:
    services, _ = stack
    disabled = speech(services, None)
    assert not disabled.enabled
    number = await draft(services, "/rec/msg-3.wav")
    await disabled.enqueue(kind="message", path="/rec/msg-3.wav", linkedid=None, order_number=number, caller=None)
    crashed = speech(services, FakeEngine())
    assert await crashed.jobs.claim(NOW) is not None  # claimed, then the process died
    restarted = speech(services, FakeEngine({"/rec/msg-3.wav": TEXT}))
    assert await restarted.jobs.requeue_running(NOW) == 1
    assert await restarted.run_once()
    assert (await services.orders.get(number, SYSTEM)).subject == "道路施工影响货运"


async def test_an_agent_call_becomes_a_draft_linked_to_the_call(stack: tuple[Any, AsyncEngine]) -> None:
    services, _ = stack
    svc = speech(services, FakeEngine({"/rec/call-9.wav": TEXT}))
    record = {"linkedid": "9.1", "caller": "13900139000", "order_number": None,
              "queue": {"name": "hotline-q", "agent": "Agent 1001"}, "recordings": ["/rec/call-9.wav"]}
    await svc.on_call_ended(record)
    await svc.on_call_ended({**record, "queue": None, "linkedid": "9.2"})  # nobody answered: no draft
    assert await svc.run_once() and not await svc.run_once()
    orders, total = await services.orders.search(SearchQuery(status=["draft"]), SYSTEM)
    assert total == 1 and orders[0].enterprise.name == "绵阳华翔物流有限公司"
    [recording] = await services.blobs.for_order(orders[0])
    assert (recording.kind, recording.location, recording.order_number) == ("recording", "call-9.wav", orders[0].number)
    assert "13900139000" not in orders[0].content and "/rec" not in orders[0].content


async def test_every_node_reporting_the_same_call_end_makes_one_draft(stack: tuple[Any, AsyncEngine]) -> None:
    """Two app nodes hear the same AMI Hangup: each asks for the agent call's transcription."""
    services, _ = stack
    record = {"linkedid": "9.1", "caller": "13900139000", "order_number": None,
              "queue": {"name": "hotline-q", "agent": "Agent 1001"}, "recordings": ["/rec/call-9.wav"]}
    nodes = [speech(services, FakeEngine({"/rec/call-9.wav": TEXT})) for _ in range(2)]
    await asyncio.gather(*(node.on_call_ended(record) for node in nodes))
    assert await nodes[0].run_once() and not await nodes[1].run_once()
    _, total = await services.orders.search(SearchQuery(status=["draft"]), SYSTEM)
    assert total == 1


@pytest.mark.parametrize("caller", ["anonymous", "<unknown>", "Restricted"])
async def test_an_agent_call_from_a_withheld_number_still_becomes_a_draft(stack: tuple[Any, AsyncEngine],
                                                                          caller: str) -> None:
    services, _ = stack
    svc = speech(services, FakeEngine({"/rec/call-9.wav": TEXT, "/rec/call-8.wav": TEXT}))
    record = {"linkedid": "9.1", "caller": caller, "order_number": None,
              "queue": {"name": "hotline-q", "agent": "Agent 1001"}, "recordings": ["/rec/call-9.wav"]}
    await svc.on_call_ended(record)
    # A job queued before callers were screened holds the word itself: it is drafted all the same.
    await svc.enqueue(kind="agent-call", path="/rec/call-8.wav", linkedid="8.1", order_number=None, caller=caller)
    assert await svc.run_once() and await svc.run_once() and not await svc.run_once()
    orders, total = await services.orders.search(SearchQuery(status=["draft"]), SYSTEM)
    assert total == 2 and {o.enterprise.phone for o in orders} == {None}
    assert {o.history[0].data["enterprise"]["name"] for o in orders} == {"来电 未知号码"}


async def test_a_recording_path_outside_our_folder_is_never_read(stack: tuple[Any, AsyncEngine]) -> None:
    """Asterisk (or anyone reaching AMI/FastAGI) reports paths: only the file name counts."""
    services, _ = stack
    engine = FakeEngine({"/rec/passwd.wav": TEXT, "/etc/passwd": TEXT})
    svc = speech(services, engine)
    record = {"linkedid": "9.3", "caller": "13900139000", "order_number": None,
              "queue": {"name": "hotline-q", "agent": "Agent 1001"}, "recordings": ["/etc/../etc/passwd"]}
    await svc.on_call_ended(record)  # not a recording's name at all: nothing queued
    await svc.on_call_ended({**record, "linkedid": "9.4", "recordings": ["/etc/../../passwd.wav"]})
    jobs = []
    while (job := await svc.jobs.claim(NOW)) is not None:
        jobs.append(job.path)
    assert jobs == ["/rec/passwd.wav"]


async def test_a_draft_confirmed_meanwhile_is_left_alone(stack: tuple[Any, AsyncEngine]) -> None:
    services, _ = stack
    svc = speech(services, FakeEngine({"/rec/msg-4.wav": TEXT}))
    number = await draft(services, "/rec/msg-4.wav")
    await svc.enqueue(kind="message", path="/rec/msg-4.wav", linkedid=None, order_number=number, caller=None)
    await services.orders.act(number, c.Confirm(actor=Actor("agent", Role.AGENT)))
    await svc.run_once()
    order = await services.orders.get(number, SYSTEM)
    assert order.status == Status.REGISTERED and order.subject == "反映问题留言（待转写）"
