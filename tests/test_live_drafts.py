"""Drafts that fill themselves during the call, server side: when extraction runs as the live
transcript grows (debounce), which fields go to the form, their spans, and who gets them."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from callcenter.app import build_services
from callcenter.db.migrate import upgrade
from callcenter.orders.services import SYSTEM, SearchQuery
from callcenter.settings import Settings
from callcenter.speech.hub import LiveHub
from callcenter.speech.live_draft import Debounce, form_fields
from callcenter.speech.live_drafts import LiveDrafts
from callcenter.web.events import visible
from tests.test_speech_service import NOW, FakeEngine, speech
from tests.test_speech_service import TEXT as SPOKEN
from worksheet.model import Actor, Role


def test_a_final_segment_runs_at_once_and_partials_at_most_once_an_interval() -> None:
    d = Debounce(interval=1.0)
    assert d.changed(10.0, final=False) == 0.0  # nothing ran yet: the first words count at once
    d.started(10.0)
    assert d.changed(10.2, final=False) is None  # a run is under way: it is redone after, once
    assert d.changed(10.3, final=False) is None
    assert d.finished(10.4) == pytest.approx(0.6)  # the partials that came meanwhile: a second after the last start
    assert d.changed(10.5, final=False) is None  # already scheduled for 11.0
    assert d.changed(10.6, final=True) == 0.0  # a final segment does not wait for it
    d.started(10.6)
    assert d.finished(10.7) is None  # nothing new came in: no run


def test_a_final_segment_during_a_run_gets_its_run_right_after() -> None:
    d = Debounce(interval=1.0)
    d.started(5.0)
    assert d.changed(5.1, final=False) is None and d.changed(5.2, final=True) is None
    assert d.finished(5.3) == 0.0


FIELDS = {
    "category": {"value": "report", "confidence": 0.9, "span": {"start": 9, "end": 11}},
    "urgency": {"value": "normal", "confidence": 0.9, "span": None},
    "enterprise_name": {"value": "绵阳华翔物流有限公司", "confidence": 0.8, "span": {"start": 2, "end": 9},
                        "confident": True},
    "contact_phone": {"value": "13908130000", "confidence": 0.7, "span": {"start": 14, "end": 25}, "confident": False},
    "contact_person": {"value": "张伟", "confidence": 0.2, "span": {"start": 30, "end": 32}},  # a guess: not filled
    "order_number": {"value": None, "confidence": 0.0, "span": None},
    "suggested_unit": {"value": "jtj", "confidence": 0.9, "span": {"start": 0, "end": 2}},
    "subject": {"value": "路口燃气味", "confidence": 0.6, "span": {"start": 0, "end": 40}},
    "summary": {"value": "我是华翔物流有限公司举报路口燃气味电话13908130000", "confidence": 0.9,
                "span": {"start": 0, "end": 99}},
    "empty": False,
}
TEXT = "我是华翔物流有限公司举报路口燃气味电话一三九零八一三零零零零"


def test_the_form_gets_what_a_draft_after_the_call_would_with_confidence_and_spans() -> None:
    sent = {f["field"]: f for f in form_fields(FIELDS, TEXT, reveal_phone=True)}
    # Urgency "normal" is the form's default; a low-confidence name and the unit (not on the form) stay out.
    assert set(sent) == {"category", "enterprise_name", "contact_phone", "subject", "summary"}
    assert sent["category"] == {"field": "category", "input": "category", "value": "report", "confidence": 0.9,
                                "span": [9, 11]}  # no "confident" when the extractor gives no verdict
    assert sent["enterprise_name"]["confident"] is True and sent["enterprise_name"]["span"] == [2, 9]
    assert sent["contact_phone"]["input"] == "enterprise_phone" and sent["contact_phone"]["value"] == "13908130000"
    assert sent["contact_phone"]["confident"] is False
    assert sent["subject"]["span"] is None and sent["summary"]["span"] is None  # drawn from the whole text
    assert sent["summary"]["input"] == "content"


def test_a_number_is_not_put_in_the_form_for_a_role_that_sees_it_masked() -> None:
    phone, = [f for f in form_fields(FIELDS, TEXT, reveal_phone=False) if f["field"] == "contact_phone"]
    assert phone["input"] is None and phone["value"] == "139****0000"


def test_spans_outside_the_text_are_dropped_and_an_empty_call_fills_nothing_but_its_note() -> None:
    stale = {**FIELDS, "category": {"value": "report", "confidence": 0.9, "span": {"start": 5, "end": 500}}}
    category, = [f for f in form_fields(stale, TEXT, reveal_phone=True) if f["field"] == "category"]
    assert category["span"] is None
    assert form_fields({"empty": True}, "", reveal_phone=True) == []


class Extractor:
    def __init__(self) -> None:
        self.texts: list[tuple[str, str | None, int]] = []

    async def __call__(self, text: str, caller: str | None, words: Sequence[Any]) -> dict[str, Any]:
        self.texts.append((text, caller, len(words)))
        return {**FIELDS, "summary": {"value": text, "confidence": 0.9, "span": {"start": 0, "end": len(text)}}}


async def until(condition: Any) -> None:
    for _ in range(300):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met")


def live(interval: float = 60.0) -> tuple[LiveHub, Extractor, LiveDrafts, list[dict[str, Any]]]:
    hub, extract = LiveHub(), Extractor()
    drafts = LiveDrafts(hub, extract, {"uuid-1": "1.1", "uuid-2": "2.1"}.get, lambda linkedid: "13908130000",
                        interval=interval)
    hub.taps.append(drafts.observe)
    events: list[dict[str, Any]] = []
    hub.taps.append(lambda e: events.append(e) if e.get("kind") == "draft" else None)
    return hub, extract, drafts, events


async def test_nobody_holding_the_call_costs_no_extraction_and_the_holder_catches_up() -> None:
    hub, extract, drafts, events = live()
    hub.publish({"call": "uuid-1", "kind": "final", "text": "我是华翔物流有限公司"})
    await asyncio.sleep(0.05)
    assert extract.texts == [] and events == []
    assert drafts.claim("1.1", "agent", reveal_phone=True)
    await until(lambda: events)
    assert extract.texts == [("我是华翔物流有限公司", "13908130000", 0)]
    assert events[0]["agent"] == "agent" and events[0]["call"] == "1.1" and events[0]["final"] is False
    assert not drafts.claim("1.1", "other", reveal_phone=True)  # one agent's form per call


async def test_partials_wait_for_the_interval_while_final_segments_run_at_once() -> None:
    hub, extract, drafts, events = live(interval=60.0)
    drafts.claim("1.1", "agent", reveal_phone=True)
    hub.publish({"call": "uuid-1", "kind": "partial", "text": "我是"})
    await until(lambda: len(events) == 1)  # the first words run at once
    for text in ("我是华翔", "我是华翔物流", "我是华翔物流有限"):
        hub.publish({"call": "uuid-1", "kind": "partial", "text": text})
    await asyncio.sleep(0.05)
    assert len(extract.texts) == 1  # within the interval: no run per partial
    hub.publish({"call": "uuid-1", "kind": "final", "text": "我是华翔物流有限公司"})
    hub.publish({"call": "uuid-1", "kind": "partial", "text": "举报"})
    await until(lambda: len(events) == 2)
    assert extract.texts[1][0] in ("我是华翔物流有限公司", "我是华翔物流有限公司举报")
    hub.publish({"call": "uuid-2", "kind": "final", "text": "别的通话"})  # nobody holds 2.1
    hub.publish({"call": "uuid-1", "kind": "transcript", "text": "我是华翔物流有限公司举报燃气味",
                 "words": [["我", 0.0, 0.2, 1.0], ["是", 0.2, 0.4, 1.0]], "status": "ok"})
    await until(lambda: events[-1]["final"])
    assert extract.texts[-1] == ("我是华翔物流有限公司举报燃气味", "13908130000", 2)  # the whole transcript settles it
    assert all(t[0] != "别的通话" for t in extract.texts)
    summary, = [f for f in events[-1]["fields"] if f["field"] == "summary"]
    assert summary["value"] == "我是华翔物流有限公司举报燃气味"


async def test_a_released_call_gets_no_more_drafts() -> None:
    hub, extract, drafts, events = live()
    drafts.claim("1.1", "agent", reveal_phone=True)
    drafts.release("1.1", "someone-else")
    assert "1.1" in drafts.claims  # only its holder releases it
    drafts.release("1.1", "agent")
    hub.publish({"call": "uuid-1", "kind": "final", "text": "我是华翔物流有限公司"})
    await asyncio.sleep(0.05)
    assert events == [] and extract.texts == []


async def test_a_hung_up_calls_hold_is_let_go_after_the_after_call_window() -> None:
    hub, extract = LiveHub(), Extractor()
    drafts = LiveDrafts(hub, extract, {"uuid-1": "1.1"}.get, lambda linkedid: None, after_call_s=0.0)
    drafts.claim("1.1", "agent", reveal_phone=True)
    drafts.claim("2.1", "agent", reveal_phone=True)
    drafts.on_call_ended({"linkedid": "1.1"})
    await until(lambda: "1.1" not in drafts.claims)
    assert set(drafts.claims) == {"2.1"}


async def test_a_failing_listener_does_not_stop_the_events() -> None:
    hub = LiveHub()
    hub.taps.append(lambda event: 1 / 0)  # type: ignore[func-returns-value]
    async with hub.subscribe() as queue:
        hub.publish({"kind": "final", "call": "u", "text": "你好"})
        assert queue.get_nowait()["text"] == "你好"


def test_a_live_draft_reaches_only_the_agent_holding_the_call() -> None:
    event = {"kind": "draft", "call": "1.1", "agent": "agent", "fields": [], "text": ""}
    assert visible(event, Actor("agent", Role.AGENT))
    assert not visible(event, Actor("agent2", Role.AGENT))
    assert not visible(event, Actor("boss", Role.SUPERVISOR))
    assert not visible(event, Actor("jtj", Role.UNIT_HANDLER, "jtj"))


async def test_a_call_registered_from_its_live_form_makes_no_second_draft_from_its_recording(
        db_url: str) -> None:
    await upgrade(db_url)
    services = build_services(Settings(database_url=db_url, recordings_dir="/rec"), clock=lambda: NOW)
    try:
        svc = speech(services, FakeEngine({"/rec/call-9.wav": SPOKEN, "/rec/call-8.wav": SPOKEN}))
        record = {"linkedid": "9.1", "caller": "13900139000", "order_number": None,
                  "queue": {"name": "hotline-q", "agent": "Agent 1001"}, "recordings": ["/rec/call-9.wav"]}
        await services.calls.repo.upsert([record], NOW)  # hung up: the record is stored
        await svc.on_call_ended(record)
        await svc.on_call_ended({**record, "linkedid": "8.1", "recordings": ["/rec/call-8.wav"]})  # not registered
        # The agent registers 9.1 from its live form after the hang-up, before the recording's turn.
        assert await services.calls.link_order("9.1", "20261123-0001")
        assert await svc.run_once() and await svc.run_once() and not await svc.run_once()
        orders, total = await services.orders.search(SearchQuery(status=["draft"]), SYSTEM)
        assert total == 1 and orders[0].history[0].data["extra"]["call"]["linkedid"] == "8.1"
    finally:
        await services.engine.dispose()
