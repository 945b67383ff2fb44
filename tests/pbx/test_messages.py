"""Voice messages through the shipped dialplan on a real Asterisk: IVR walk over FastAGI, RECORD
FILE, Vosk, draft; for a caller with a number, a withheld one, and none at all."""

from __future__ import annotations

import json
from typing import Any

from callcenter.asr.text import cer
from tests.pbx.audio import measure
from tests.pbx.world import World

MESSAGE_CLIP = "common_voice_zh-CN_18536499"


def message_script(world: World, clip: str = MESSAGE_CLIP) -> list[str]:
    # welcome + main menu (interruptible), 2 = report, 1 = leave a message, speak, '#'
    return ["wait:4", "dtmf:2", "wait:3", "dtmf:1", "wait:6", f"play:{world.clip(clip)}", "wait:1",
            "dtmf:#", "wait:8"]


def reference(world: World, clip: str) -> str:
    for line in (world.shared / "asr_testset" / "transcripts.tsv").read_text().splitlines():
        name, _, text = line.partition("\t")
        if name == f"{clip}.wav":
            return text
    raise KeyError(clip)


def new_drafts(world: World, before: set[str], count: int = 1, transcribed: bool = True) -> list[dict[str, Any]]:
    """Wait for ``count`` drafts not in ``before`` (and their transcripts); return them in full."""
    def ready(data: Any) -> bool:
        new = [o for o in data["items"] if o["number"] not in before]
        return len(new) >= count
    data = world.app.wait_for("/api/v1/orders?status=draft&limit=100", ready, timeout=90)
    numbers = [o["number"] for o in data["items"] if o["number"] not in before]
    full = []
    for number in numbers:
        order = world.app.wait_for(f"/api/v1/orders/{number}",
                                   lambda o: not transcribed or transcript_of(o) is not None, timeout=120)
        full.append(order)
    return full


def transcript_of(order: dict[str, Any]) -> str | None:
    """The transcript the draft was filled in from (its suggestion), or None before it arrived.
    The content is the tidied text alone when that says it all, so it is not the place to look."""
    suggestion = order.get("suggestion") or {}
    text = (suggestion.get("transcript") or {}).get("text")
    return text if isinstance(text, str) else None


def draft_numbers(world: World) -> set[str]:
    return {o["number"] for o in world.app.get("/api/v1/orders?status=draft&limit=100")["items"]}


def assert_transcribed(world: World, order: dict[str, Any], clip: str = MESSAGE_CLIP) -> float:
    text = transcript_of(order) or ""
    rate = cer([(reference(world, clip), text)])
    assert rate < 0.6, (rate, text)  # the small model on 8 kHz phone audio: a real transcript, not noise
    (blob,) = order["attachments"]
    blob_id = blob["id"] if isinstance(blob, dict) else blob
    body = world.app.download(f"/api/v1/orders/{order['number']}/attachments/{blob_id}")
    assert len(body) > 8000 * 2 * 3, len(body)  # several seconds of audio
    return rate


def test_message_with_a_number_becomes_a_transcribed_draft(world: World) -> None:
    before = draft_numbers(world)
    tag = world.call(message_script(world), number="13800138001", name="Wang Jingli")
    world.wait_caller_gone(tag)
    (order,) = new_drafts(world, before)
    assert order["enterprise"]["phone"] == "138****8001"
    # the caller-ID name (CNAM) is the network's label, not the enterprise's name
    assert "Wang Jingli" not in json.dumps(order["enterprise"], ensure_ascii=False)
    assert_transcribed(world, order)
    # welcome, menu, offer, message prompt and beep: no dead air until the caller speaks (while
    # the message is recorded the line is quiet on purpose); then the thanks after '#'
    heard = measure(world.heard_file(tag), end_s=world.step_offset(tag, "play:"))
    assert heard.loud_seconds > 8 and heard.longest_silence_s < 3, heard
    thanks = measure(world.heard_file(tag), start_s=world.step_offset(tag, "dtmf:#") + 1.0,
                     end_s=world.step_offset(tag, "dtmf:#") + 4.0)
    assert thanks.loud_seconds > 2, thanks


def test_withheld_caller_leaves_a_message(world: World) -> None:
    before = draft_numbers(world)
    tag = world.call(message_script(world), number="13800138002", name="Wang Jingli", withheld=True)
    world.wait_caller_gone(tag)
    (order,) = new_drafts(world, before)
    assert not order["enterprise"].get("phone"), order["enterprise"]
    assert "Wang Jingli" not in json.dumps(order["enterprise"], ensure_ascii=False)
    assert_transcribed(world, order)


def test_caller_without_any_number_leaves_a_message(world: World) -> None:
    before = draft_numbers(world)
    tag = world.call(message_script(world), number=None)
    world.wait_caller_gone(tag)
    (order,) = new_drafts(world, before)
    assert not order["enterprise"].get("phone"), order["enterprise"]
    assert_transcribed(world, order)
