"""Possible duplicates found after the fact: when the OCR text or the transcript fills a draft, when
an agent edits what duplicates are matched on, and at confirmation; stored on both orders, and a
dismissal sticks. On both databases, through the real services (the fax's real OCR)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.admin import read_units
from callcenter.app import Services, build_services
from callcenter.db.migrate import upgrade
from callcenter.enterprises.service import DEMO_DIRECTORY, load_enterprises
from callcenter.fax.sample import render_fax_tiff
from callcenter.intake.text_drafts import TextSource, draft_from_text
from callcenter.orders.services import SYSTEM
from callcenter.settings import Settings
from tests.api_helpers import ORDER, Api, FakeClock, start_api
from tests.test_fax_intake import PAGE, capture_record  # noqa: F401 (a fixture)
from tests.test_speech_service import FakeEngine, speech
from worksheet import commands as c
from worksheet.errors import ValidationError
from worksheet.intake import NewOrder
from worksheet.model import Actor, Category, Channel, Enterprise, Role, Status, WorkOrder

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
AGENT = Actor("agent1", Role.AGENT)
HUAXIANG = "绵阳华翔物流有限公司"


@pytest.fixture
async def services(db_url: str, tmp_path: Path) -> AsyncIterator[Services]:
    await upgrade(db_url)
    (tmp_path / "spool").mkdir()
    settings = Settings(database_url=db_url, sms="log", fax_incoming_dir=str(tmp_path / "spool"),
                        blob_dir=str(tmp_path / "store"), recordings_dir="/rec")
    built = build_services(settings, clock=FakeClock(NOW))
    await load_enterprises(built.engine, DEMO_DIRECTORY)  # the extractor matches names against it
    yield built
    await built.engine.dispose()


async def order(services: Services, *, name: str, phone: str | None, subject: str, content: str,
                draft: bool = True, by: Actor | None = None) -> WorkOrder:
    spec = NewOrder(channel=Channel.PHONE, category=Category.HELP, enterprise=Enterprise(name, phone=phone),
                    subject=subject, content=content, received_at=NOW, draft=draft)
    return await services.orders.create(spec, by or (SYSTEM if draft else AGENT))


async def get(services: Services, number: str) -> WorkOrder:
    return await services.orders.get(number, SYSTEM)


async def test_identical_faxes_flag_each_other_once_ocr_fills_them(
        services: Services, tmp_path: Path, capture_record: dict[str, Any]) -> None:  # noqa: F811
    # A fax machine without caller ID: each draft is "传真 未知号码" until its OCR text fills it, so the
    # check at creation finds nothing; the text names the same enterprise and the same matter.
    tiff = render_fax_tiff(PAGE)
    for i in range(3):
        name = f"fax-{i}.tif"
        (tmp_path / "spool" / name).write_bytes(tiff)
        await services.faxes.on_call_ended({**capture_record, "caller": None, "linkedid": f"fax.{i}",
                                            "fax": {**capture_record["fax"], "file": f"/var/spool/asterisk/fax/{name}"}})
    while await services.faxes.run_once():
        pass
    numbers = sorted(r.order_number for r in await services.faxes.receipts.list())
    assert len(numbers) == 3
    for number in numbers:
        fax = await get(services, number)
        assert fax.enterprise.name == HUAXIANG and fax.channel == Channel.FAX and fax.status == Status.DRAFT
        assert sorted(fax.suspected_duplicates) == [n for n in numbers if n != number]
    # The earlier fax shows the later ones through links the later ones wrote with themselves: its own
    # row and history are not rewritten (a flood about one matter would queue every create on it).
    first = await get(services, numbers[0])
    assert [e.type for e in first.history].count("flag-duplicates") == 0
    assert [o.suspected_duplicates for o in await services.orders.orders.get_many(numbers[:1])] == [tuple(numbers[1:])]
    listed, _ = await services.orders.orders.search(numbers_in=numbers[:1])
    assert listed[0].suspected_duplicates == tuple(numbers[1:]) and listed[0].version == first.version


async def test_a_voice_draft_is_flagged_once_its_transcript_names_an_open_orders_enterprise(services: Services) -> None:
    open_order = await order(services, name=HUAXIANG, phone="13912345678", subject="道路施工影响货运",
                             content="道路施工，货运不出去", draft=False)
    blob = await services.blobs.register_recording("/rec/msg-1.wav")
    spec = NewOrder(channel=Channel.PHONE, category=Category.HELP, enterprise=Enterprise("来电 138****8000",
                    phone="13800138000"), subject="反映问题留言（待转写）", content="待转写", received_at=NOW,
                    attachments=(blob.id,), draft=True)
    voice = await services.orders.create(spec, SYSTEM)
    assert voice.possible_duplicates == ()  # another caller's number, no text yet: nothing to match

    svc = speech(services, FakeEngine({"/rec/msg-1.wav": "喂 你好 我 是 华 翔 物流 的 我们 这边 道路 施工 货 运 不 出去"}))
    await svc.enqueue(kind="message", path="/rec/msg-1.wav", linkedid="1.1", order_number=voice.number,
                      caller="13800138000")
    assert await svc.run_once()
    filled = await get(services, voice.number)
    assert filled.enterprise.name == HUAXIANG and filled.possible_duplicates == (open_order.number,)
    flag = filled.history[-1]
    assert (flag.type, flag.role, flag.data["numbers"]) == ("flag-duplicates", Role.SYSTEM, [open_order.number])
    assert (await get(services, open_order.number)).suspected_duplicates == (voice.number,)


async def test_an_agent_editing_a_drafts_phone_rechecks(services: Services) -> None:
    known = await order(services, name="涪城区某某商贸公司", phone="13800138000", subject="门前路灯损坏",
                        content="园区门口的路灯坏了一个多月，晚上货车进出很危险")
    draft = await order(services, name="短信 139****0000", phone="13900000000", subject="门前路灯损坏",
                        content="园区门口的路灯坏了一个多月，晚上货车进出很危险")
    assert draft.possible_duplicates == ()
    # A note on the draft changes nothing duplicates are matched on: no re-check, no flag.
    same = await services.orders.act(draft.number, c.AmendDraft(actor=AGENT, changes={"urgency": "normal"}))
    assert same.possible_duplicates == ()
    edited = await services.orders.act(draft.number, c.AmendDraft(actor=AGENT, changes={"enterprise": {
        "name": "短信 139****0000", "phone": "138 0013 8000"}}), expected_version=same.version)
    assert edited.possible_duplicates == (known.number,) and edited.version == same.version + 2
    assert (await get(services, known.number)).suspected_duplicates == (draft.number,)


async def test_confirmation_rechecks_even_without_edits(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    # An order stored before re-checks existed (or while one failed) was never matched: confirming finds it.
    draft = await order(services, name=HUAXIANG, phone="13800138000", subject="道路施工影响货运", content="道路施工，货运不出去")
    checker = services.orders.duplicates
    with monkeypatch.context() as patched:
        async def nothing(order: WorkOrder) -> tuple[str, ...]:
            return ()
        patched.setattr(checker, "find", nothing)
        earlier = await order(services, name=HUAXIANG, phone="13800138000", subject="道路施工影响货运",
                              content="道路施工，货运不出去", draft=False)
    assert (await get(services, draft.number)).suspected_duplicates == ()
    confirmed = await services.orders.act(draft.number, c.Confirm(actor=AGENT))
    assert confirmed.status == Status.REGISTERED and confirmed.possible_duplicates == (earlier.number,)
    assert (await get(services, earlier.number)).suspected_duplicates == (draft.number,)


async def test_a_dismissed_duplicate_is_never_flagged_again(services: Services) -> None:
    first = await order(services, name=HUAXIANG, phone="13800138000", subject="道路施工影响货运", content="道路施工，货运不出去")
    second = await order(services, name=HUAXIANG, phone="13800138000", subject="道路施工影响货运",
                         content="道路施工，货运不出去", by=AGENT)  # an agent's draft is checked at once
    assert second.possible_duplicates == (first.number,)
    with pytest.raises(ValidationError, match="not flagged"):
        await services.orders.act(second.number, c.DismissDuplicates(actor=AGENT, numbers=("20991231-0001",)))
    with pytest.raises(ValidationError, match="at least one"):
        await services.orders.act(second.number, c.DismissDuplicates(actor=AGENT, numbers=()))
    dismissed = await services.orders.act(second.number, c.DismissDuplicates(actor=AGENT, numbers=(first.number,)))
    assert dismissed.possible_duplicates == () and dismissed.dismissed_duplicates == (first.number,)
    again = await services.orders.act(second.number, c.AmendDraft(actor=AGENT, changes={"content": "道路施工，货物运不出去"}))
    assert again.possible_duplicates == () and again.history[-1].type == "amend-draft"
    assert (await services.orders.act(second.number, c.Confirm(actor=AGENT))).possible_duplicates == ()
    assert (await get(services, first.number)).suspected_duplicates == (second.number,)  # its own list is its own
    # Dismissed on the earlier order, where it came from the later one's link: it stays dismissed.
    kept = await services.orders.act(first.number, c.DismissDuplicates(actor=AGENT, numbers=(second.number,)))
    assert kept.suspected_duplicates == () and kept.dismissed_duplicates == (second.number,)
    assert (await get(services, first.number)).suspected_duplicates == ()


async def test_commands_on_registered_orders_add_no_duplicate_query(services: Services,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    registered = await order(services, name=HUAXIANG, phone="13800138000", subject="道路施工影响货运",
                             content="道路施工，货运不出去", draft=False)
    calls = []
    repository = services.orders.orders
    real = repository.find_recent

    async def counted(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return await real(**kwargs)

    monkeypatch.setattr(repository, "find_recent", counted)
    units = read_units("demo")
    await services.units.upsert_many(units)
    await services.orders.act(registered.number, c.Dispatch(actor=AGENT, lead_unit=units[0]["code"]))
    await services.orders.act(registered.number, c.AddSupplement(actor=SYSTEM, text="又补充了一句"))
    assert calls == []
    draft = await order(services, name="来电 139****0000", phone="13900000000", subject="电话留言", content="待转写")
    calls.clear()
    await services.orders.act(draft.number, c.AmendDraft(actor=AGENT, changes={"content": "道路施工，货运不出去"}))
    assert len(calls) == 1


def test_snapshots_stored_before_dismissals_existed_still_load() -> None:
    from tests.domain_helpers import new_order, policy
    from worksheet.codec import order_from_dict, order_to_dict

    stored = order_to_dict(replace(new_order(NOW, policy()), possible_duplicates=("20261120-0001",)))
    del stored["dismissed_duplicates"]
    loaded = order_from_dict(stored)
    assert loaded.possible_duplicates == ("20261120-0001",) and loaded.dismissed_duplicates == ()


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[Api]:
    async for started in start_api(db_url):
        yield started


async def test_the_api_links_candidates_and_dismisses_them(api: Api) -> None:
    first = (await api.call("agent", "POST", "/api/v1/orders", {**ORDER, "draft": True}))[1]
    status, second = await api.call("agent", "POST", "/api/v1/orders", {**ORDER, "draft": True})
    assert status == 201 and second["duplicate_candidates"] == [
        {"number": first["number"], "href": f"/api/v1/orders/{first['number']}", "page": f"/orders/{first['number']}"}]
    refused = await api.act("agent", second["number"], "dismiss-duplicates", {"numbers": ["x"]}, expect=422)
    assert refused["error_id"] == "validation-failed"
    await api.act("agent", second["number"], "dismiss-duplicates", {"numbers": "x"}, expect=422)
    done = await api.act("agent", second["number"], "dismiss-duplicates", {"numbers": [first["number"]]})
    assert done["duplicate_candidates"] == [] and done["dismissed_duplicates"] == [first["number"]]
    assert done["history"][-1]["type"] == "dismiss-duplicates"
    # The first order was flagged back; a unit handler never learns other orders' numbers.
    status, back = await api.call("agent", "GET", f"/api/v1/orders/{first['number']}")
    assert back["possible_duplicates"] == [second["number"]]
    await api.act("agent", first["number"], "confirm")
    await api.act("agent", first["number"], "dispatch", {"lead_unit": api.units["区住建局"]})
    status, seen = await api.call("zjj", "GET", f"/api/v1/orders/{first['number']}")
    assert status == 200 and seen["possible_duplicates"] == [] and seen["duplicate_candidates"] == []


async def test_placeholder_drafts_are_not_matched_on_their_placeholders(services: Services) -> None:
    # Two messages from one caller, not yet transcribed: the same placeholder text, not the same matter.
    messages = [await order(services, name="来电 138****8000", phone="13800138000", subject="电话留言（待转写）",
                            content="来电 138****8000 的语音留言（录音见附件）。请收听录音后补全诉求内容。") for _ in range(2)]
    assert [m.possible_duplicates for m in messages] == [(), ()]
    # Unreadable faxes from machines without caller ID share a sender name and text, and nothing else.
    faxes = [await draft_from_text(services.orders, None, TextSource(
        channel=Channel.FAX, sender=None, text="", received_at=NOW, subject="传真来件（待确认）", label="传真识别文本",
        empty="（传真未能识别文字，请查看传真页面）")) for _ in range(2)]
    confirmed = await services.orders.act(faxes[1].number, c.Confirm(actor=AGENT))
    assert faxes[0].enterprise.name == "传真 未知号码" and confirmed.possible_duplicates == ()
