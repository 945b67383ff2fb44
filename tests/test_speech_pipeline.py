"""A real recording through the real pipeline: Vosk transcript -> extracted fields -> the draft,
with every field's transcript span mapped back to audio offsets."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.app import build_services
from callcenter.asr.engine import AsrEngine
from callcenter.db.migrate import upgrade
from callcenter.enterprises.service import DEMO_DIRECTORY, load_enterprises
from callcenter.orders.services import SYSTEM
from callcenter.settings import Settings
from worksheet.intake import NewOrder
from worksheet.model import Category, Channel, Enterprise, Status

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
CLIP = "common_voice_zh-CN_18627003.wav"  # 这种现象在一些过渡金属或稀土氧化物材料中是常见的。


@pytest.fixture
async def services(db_url: str, shared_dir: Path, tmp_path: Path) -> AsyncIterator[Any]:
    await upgrade(db_url)
    svc = build_services(Settings(database_url=db_url, recordings_dir=str(tmp_path)), clock=lambda: NOW)
    await load_enterprises(svc.engine, DEMO_DIRECTORY)
    engine = AsrEngine.load(shared_dir / "asr_models" / "vosk-model-small-cn-0.22", mode="thread", workers=1)
    svc.speech.engine = engine
    yield svc
    await engine.close()
    await svc.engine.dispose()


async def test_a_recorded_message_becomes_a_filled_draft_with_spans(services: Any, shared_dir: Path,
                                                                     tmp_path: Path) -> None:
    recording = tmp_path / "msg-1795435368.0.wav"
    shutil.copy(shared_dir / "asr_testset" / CLIP, recording)
    blob = await services.blobs.register_recording(f"/var/spool/asterisk/elsewhere/{recording.name}")
    assert blob.size == recording.stat().st_size and blob.sha256  # complete already: digested at once
    spec = NewOrder(channel=Channel.PHONE, category=Category.HELP, enterprise=Enterprise("来电 138****8000",
                    phone="13800138000"), subject="电话留言（待转写）", content="待转写", received_at=NOW,
                    attachments=(blob.id,), draft=True)
    number = (await services.orders.create(spec, SYSTEM)).number
    await services.speech.enqueue(kind="message", path=str(recording), linkedid="1795435368.0",
                                  order_number=number, caller="13800138000")
    assert await services.speech.run_once()
    order = await services.orders.get(number, SYSTEM)
    assert order.status == Status.DRAFT
    suggestion = order.history[-1].data["suggestion"]
    transcript = suggestion["transcript"]
    assert transcript["status"] == "ok" and "现象" in transcript["text"] and transcript["words"]
    assert "现象" in order.content  # the draft now carries what the caller said
    summary = suggestion["fields"]["summary"]
    span = summary["span"]
    assert span["end"] > span["start"] and span["audio_end"] > span["audio_start"] >= 0.0
    assert span["audio_end"] <= transcript["duration_s"] + 0.5
    phone = suggestion["fields"]["contact_phone"]
    assert phone["value"] == "13800138000" and phone["confidence"] < 0.9  # from the caller ID, not spoken
    (stored,) = await services.speech.transcripts.for_call("1795435368.0")
    assert stored["words"] == transcript["words"]


async def test_a_silent_recording_gives_an_empty_draft(services: Any, tmp_path: Path) -> None:
    import wave

    recording = tmp_path / "msg-silent.wav"
    with wave.open(str(recording), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(8000 * 2 * 3))  # three seconds of nothing
    spec = NewOrder(channel=Channel.PHONE, category=Category.HELP, enterprise=Enterprise("来电 未知号码"),
                    subject="电话留言（待转写）", content="待转写", received_at=NOW, draft=True)
    number = (await services.orders.create(spec, SYSTEM)).number
    await services.speech.enqueue(kind="message", path=str(recording), linkedid=None, order_number=number, caller=None)
    assert await services.speech.run_once()
    order = await services.orders.get(number, SYSTEM)
    suggestion = order.history[-1].data["suggestion"]
    assert suggestion["empty"] is True and suggestion["transcript"]["status"] in ("silent", "empty")
    assert "没有可识别的语音" in order.content
