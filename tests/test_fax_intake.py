"""Fax intake: the real ReceiveFAX capture → a call record → the TIFF read, OCR'd → a draft + SMS."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.app import Services, build_services
from callcenter.calls.replay import replay_streams
from callcenter.db.migrate import upgrade
from callcenter.enterprises.service import DEMO_DIRECTORY, load_enterprises
from callcenter.fax.sample import render_fax_tiff
from callcenter.fax.services import MAX_ATTEMPTS, NO_TEXT
from callcenter.keys import FAXES
from callcenter.orders.services import SYSTEM
from callcenter.settings import Settings
from tests.api_helpers import FakeClock, start_api
from tests.blob_helpers import read_blob
from worksheet.model import Channel, Status

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SH)
PAGE = ("绵阳华翔物流有限公司", "反映：华翔路道路施工，货物无法运出。", "联系人：王经理 电话：13800138000")


@dataclass
class Stack:
    services: Services
    clock: FakeClock
    spool: Path
    store: Path


@pytest.fixture
async def stack(db_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    await upgrade(db_url)
    spool, store = tmp_path / "spool", tmp_path / "store"
    spool.mkdir()
    clock = FakeClock(NOW)
    settings = Settings(database_url=db_url, sms="log", fax_incoming_dir=str(spool), blob_dir=str(store))
    services = build_services(settings, clock=clock)
    await load_enterprises(services.engine, DEMO_DIRECTORY)  # the extractor matches names against it
    yield Stack(services, clock, spool, store)
    await services.engine.dispose()


@pytest.fixture(scope="module")
def capture_record(shared_dir: Path) -> dict[str, Any]:
    """The call record the tracker makes of the real Asterisk 22 fax capture."""
    raw = (shared_dir / "fixtures" / "asterisk" / "ami" / "fax-receive.rx.bin").read_bytes()
    [record] = [r for r in replay_streams([raw], tz=ZoneInfo("UTC")) if r.get("fax")]
    return record


def mobile(record: dict[str, Any], number: str = "13800138000") -> dict[str, Any]:
    return {**record, "caller": number}


async def test_the_captured_fax_becomes_a_draft_with_its_text_pages_and_a_confirmation(
        stack: Stack, capture_record: dict[str, Any]) -> None:
    fax = capture_record["fax"]
    assert fax["status"] == "SUCCESS" and fax["pages"] == 1 and fax["direction"] == "receive"
    (stack.spool / Path(fax["file"]).name).write_bytes(render_fax_tiff(PAGE))
    faxes = stack.services.faxes
    await faxes.on_call_ended(mobile(capture_record))
    await faxes.on_call_ended(mobile(capture_record))  # the hangup seen twice: one receipt
    assert await faxes.run_once() and not await faxes.run_once()

    [receipt] = await faxes.receipts.list()
    assert receipt.status == "drafted" and receipt.pages == 1 and receipt.linkedid == capture_record["linkedid"]
    order = await stack.services.orders.get(receipt.order_number, SYSTEM)
    assert order.status == Status.DRAFT and order.channel == Channel.FAX
    assert order.content.startswith("绵阳华翔物流有限公司") and "华翔路道路施工" in order.content
    assert "FROM" not in order.content and "P.1" not in order.content and order.content.count("华翔路道路施工") == 1
    assert order.enterprise.contact_person == "王经理" and "FROM" in receipt.text  # the receipt keeps what was read
    assert order.enterprise.name == "绵阳华翔物流有限公司"  # the OCR text matched in the directory
    pdf, tif = await stack.services.blobs.for_order(order)
    assert (pdf.kind, pdf.content_type, tif.kind, tif.content_type) == ("fax", "application/pdf", "fax", "image/tiff")
    assert (await read_blob(stack.services, pdf.id)).startswith(b"%PDF")
    assert (await read_blob(stack.services, tif.id))[:2] in (b"II", b"MM")
    [page] = receipt.documents["pages"]
    assert (await read_blob(stack.services, page)).startswith(b"\x89PNG")
    [sms] = await stack.services.sms.outbox.list(order_number=order.number)
    assert sms.template == "fax_received" and order.number in sms.body and sms.to_phone == "+8613800138000"


async def test_a_failed_fax_is_recorded_and_not_drafted(stack: Stack, capture_record: dict[str, Any]) -> None:
    failed = {**capture_record, "fax": {**capture_record["fax"], "status": "FAILED", "pages": 0}}
    await stack.services.faxes.on_call_ended(failed)
    assert not await stack.services.faxes.run_once()
    [receipt] = await stack.services.faxes.receipts.list()
    assert receipt.status == "failed" and "FAILED" in receipt.error and receipt.order_number is None
    assert await stack.services.sms.outbox.list() == []


async def test_success_without_pages_is_a_failure(stack: Stack, capture_record: dict[str, Any]) -> None:
    # ReceiveFAX has no status field; PagesTransferred 0 means nothing arrived, whatever else is said.
    await stack.services.faxes.on_call_ended({**capture_record, "fax": {**capture_record["fax"], "pages": 0}})
    assert [r.status for r in await stack.services.faxes.receipts.list()] == ["failed"]


async def test_a_missing_file_is_retried_then_reported(stack: Stack, capture_record: dict[str, Any]) -> None:
    faxes = stack.services.faxes
    await faxes.on_call_ended(capture_record)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert await faxes.run_once()
        [receipt] = await faxes.receipts.list()
        assert receipt.attempts == attempt and "not found" in receipt.error
        assert not await faxes.run_once()  # waits before the next try
        stack.clock.now += timedelta(minutes=1)
    assert receipt.status == "error" and receipt.order_number is None


async def test_a_file_that_appears_late_is_still_drafted(stack: Stack, capture_record: dict[str, Any]) -> None:
    faxes = stack.services.faxes
    await faxes.on_call_ended(capture_record)
    assert await faxes.run_once()
    (stack.spool / Path(capture_record["fax"]["file"]).name).write_bytes(render_fax_tiff(PAGE))
    stack.clock.now += timedelta(minutes=1)
    assert await faxes.run_once()
    assert [r.status for r in await faxes.receipts.list()] == ["drafted"]


async def test_a_damaged_tiff_is_an_error_for_an_agent(stack: Stack, capture_record: dict[str, Any]) -> None:
    data = render_fax_tiff(PAGE)
    (stack.spool / Path(capture_record["fax"]["file"]).name).write_bytes(data[: len(data) // 2])
    await stack.services.faxes.on_call_ended(capture_record)
    assert await stack.services.faxes.run_once()
    [receipt] = await stack.services.faxes.receipts.list()
    assert receipt.status == "error" and receipt.error.startswith("fax-image-invalid")


async def test_a_path_in_the_event_cannot_reach_outside_the_spool(stack: Stack, capture_record: dict[str, Any],
                                                                tmp_path: Path) -> None:
    (tmp_path / "secret.tif").write_bytes(render_fax_tiff(PAGE))
    evil = {**capture_record, "fax": {**capture_record["fax"], "file": "/x/../../secret.tif"}}
    await stack.services.faxes.on_call_ended(evil)
    assert await stack.services.faxes.run_once()
    [receipt] = await stack.services.faxes.receipts.list()
    assert receipt.status == "received" and "not found" in receipt.error  # looked for spool/secret.tif only


async def test_without_ocr_the_fax_is_drafted_for_an_agent_to_read(stack: Stack,
                                                                    capture_record: dict[str, Any]) -> None:
    stack.services.faxes.ocr = False
    (stack.spool / Path(capture_record["fax"]["file"]).name).write_bytes(render_fax_tiff(PAGE))
    await stack.services.faxes.on_call_ended(capture_record)
    assert await stack.services.faxes.run_once()
    [receipt] = await stack.services.faxes.receipts.list()
    order = await stack.services.orders.get(receipt.order_number, SYSTEM)
    assert order.content == NO_TEXT and len(order.attachments) == 2
    # The capture's caller (+1 555…) is a valid E.164 number abroad: the confirmation goes there.
    [sms] = await stack.services.sms.outbox.list()
    assert sms.to_phone == capture_record["caller"]


async def test_a_landline_sender_gets_no_sms(stack: Stack, capture_record: dict[str, Any]) -> None:
    (stack.spool / Path(capture_record["fax"]["file"]).name).write_bytes(render_fax_tiff(PAGE))
    await stack.services.faxes.on_call_ended(mobile(capture_record, "02088886666"))
    assert await stack.services.faxes.run_once()
    assert [r.status for r in await stack.services.faxes.receipts.list()] == ["drafted"]
    assert await stack.services.sms.outbox.list() == []


@pytest.mark.parametrize("caller", ["anonymous", "unknown", "<unknown>", "Restricted", "", None,
                                    "FAX-MACHINE"])
async def test_a_fax_from_a_sender_without_a_number_is_stored_and_drafted(stack: Stack, capture_record: dict[str, Any],
                                                                          caller: str | None) -> None:
    """A withheld or missing caller ID must not cost the fax: before, "anonymous" failed the draft's
    phone validation on every attempt and the fax was given up."""
    (stack.spool / Path(capture_record["fax"]["file"]).name).write_bytes(render_fax_tiff(PAGE))
    faxes = stack.services.faxes
    await faxes.on_call_ended({**capture_record, "caller": caller})
    assert await faxes.run_once()
    [receipt] = await faxes.receipts.list()
    assert receipt.status == "drafted" and receipt.caller is None and receipt.attempts == 1, receipt.error
    order = await stack.services.orders.get(receipt.order_number, SYSTEM)
    assert order.status == Status.DRAFT and len(order.attachments) == 2
    # The phone the OCR text gives is a suggestion for the agent; the caller ID added none.
    assert order.enterprise.phone in (None, "13800138000")
    assert await stack.services.sms.outbox.list() == []


async def test_a_receipt_stored_with_a_word_for_its_caller_is_drafted_all_the_same(
        stack: Stack, capture_record: dict[str, Any]) -> None:
    """Receipts recorded before callers were screened still hold "anonymous": they are drafted now."""
    (stack.spool / Path(capture_record["fax"]["file"]).name).write_bytes(render_fax_tiff(PAGE))
    faxes = stack.services.faxes
    faxes.ocr = False
    await faxes.receipts.record(linkedid="1795435400.9", caller="anonymous", status="received", pages=1,
                                fax_status="SUCCESS", file=capture_record["fax"]["file"], error=None, now=NOW)
    assert await faxes.run_once()
    [receipt] = await faxes.receipts.list()
    assert receipt.status == "drafted", receipt.error
    order = await stack.services.orders.get(receipt.order_number, SYSTEM)
    assert order.enterprise.phone is None and order.enterprise.name == "传真 未知号码"


async def test_agents_see_the_fax_list_pdf_and_pages(db_url: str, tmp_path: Path,
                                                    capture_record: dict[str, Any]) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    (spool / Path(capture_record["fax"]["file"]).name).write_bytes(render_fax_tiff(PAGE))
    async for api in start_api(db_url, fax_incoming_dir=str(spool)):
        faxes = api.client.server.app[FAXES]
        faxes.ocr = False  # the HTTP side is what is tested here
        await faxes.on_call_ended(mobile(capture_record))
        await faxes.on_call_ended({**capture_record, "linkedid": "other", "fax": {**capture_record["fax"],
                                                                                  "status": "FAILED", "pages": 0}})
        for _ in range(500):  # the app's own fax worker picks it up
            if any(r.status == "drafted" for r in await faxes.receipts.list()):
                break
            await asyncio.sleep(0.01)
        status, data = await api.call("agent", "GET", "/api/v1/faxes")
        assert status == 200 and [f["status"] for f in data["items"]] == ["failed", "drafted"]
        drafted = data["items"][1]
        assert drafted["caller"] == "138****8000" and "stored" not in drafted
        pdf = await api.client.get(f"/api/v1/faxes/{drafted['id']}/document.pdf", headers=api.auth("agent"))
        assert pdf.status == 200 and (await pdf.read()).startswith(b"%PDF")
        png = await api.client.get(f"/api/v1/faxes/{drafted['id']}/pages/1.png", headers=api.auth("boss"))
        assert png.status == 200 and (await png.read()).startswith(b"\x89PNG")
        for path in (f"/api/v1/faxes/{drafted['id']}/pages/2.png", f"/api/v1/faxes/{data['items'][0]['id']}/document.pdf",
                     "/api/v1/faxes/999", "/api/v1/faxes/x"):
            status, problem = await api.call("agent", "GET", path)
            assert status == 404 and problem["error_id"].startswith("fax-"), path
        status, _ = await api.call("zjj", "GET", "/api/v1/faxes")
        assert status == 403
        status, _ = await api.call("agent", "GET", "/api/v1/faxes?status=nope")
        assert status == 422
