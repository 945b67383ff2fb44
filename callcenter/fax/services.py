"""Fax intake: a received fax becomes a draft order with its pages and OCR text, and the sender
(when the caller ID is a mobile) gets the fax-received SMS with the draft's number.

Asterisk's ReceiveFAX event has no status field; the outcome comes from FAXOPT(status) (our
hangup handler's `FaxResult` UserEvent) and from PagesTransferred (0 on a failed receive), both
folded into the call record's ``fax``. A failed fax is recorded and listed, never drafted. A fax
that arrived but cannot be read (the file is missing or damaged) is recorded as an error for an
agent; one whose text cannot be recognised is still drafted, with its pages attached.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from callcenter.blobs.service import BlobService
from callcenter.blobs.sniff import PDF, PNG, TIFF
from callcenter.calls.services import CallService
from callcenter.intake.text_drafts import Extract, TextSource, draft_from_text
from callcenter.orders.services import OrderService
from callcenter.sms.privacy import mask_phone
from callcenter.sms.services import SmsService
from callcenter.workers import drain_forever
from worksheet.callerid import caller_number
from worksheet.model import Channel

from .convert import FaxDocument, FaxImageError, convert
from .header import without_machine_headers
from .ocr import OcrError, ocr_document
from .receipts import FaxReceipt, FaxReceiptRepository

log = logging.getLogger(__name__)
MAX_FAX_BYTES = 20 << 20  # a 40-page G4 fax is well under 2 MB; anything bigger is not a fax
MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(seconds=30)  # the spool file may still be syncing to our volume
NO_TEXT = "（传真未能识别出文字，请查看传真原件）"


class FaxService:
    def __init__(self, receipts: FaxReceiptRepository, orders: OrderService, calls: CallService | None,
                 sms: SmsService | None, extract: Extract | None, clock: Callable[[], datetime], *,
                 incoming_dir: Path, blobs: BlobService, ocr: bool = True) -> None:
        self.receipts = receipts
        self.orders = orders
        self.calls = calls
        self.sms = sms
        self.extract = extract
        self.clock = clock
        self.incoming_dir = incoming_dir
        self.blobs = blobs
        self.ocr = ocr
        self.wakeup = asyncio.Event()

    async def on_call_ended(self, record: dict[str, Any]) -> None:
        """CallService hook: record every received fax; wake the worker for the good ones."""
        fax = record.get("fax") or {}
        if fax.get("direction") != "receive" or not record.get("linkedid"):
            return
        pages = int(fax.get("pages") or 0)
        status = str(fax.get("status") or "")
        ok = status.upper() == "SUCCESS" and pages > 0
        caller = caller_number(record.get("caller"))  # a sender without caller ID is stored all the same
        receipt, created = await self.receipts.record(
            linkedid=str(record["linkedid"]), caller=caller, status="received" if ok else "failed",
            pages=pages, fax_status=status or None, file=fax.get("file"),
            error=None if ok else f"fax not received (status {status or 'unknown'}, {pages} pages)", now=self.clock())
        if not created:
            return
        if ok:
            self.wakeup.set()
        else:
            log.warning("fax from %s failed (%s, %d pages): recorded, not drafted",
                        mask_phone(caller) if caller else "an unknown number", status or "no status", pages)

    async def run_once(self) -> bool:
        """Process one received fax; False when there was none."""
        receipt = await self.receipts.claim_next(self.clock())
        if receipt is None:
            return False
        try:
            await self._process(receipt)
        except Exception as exc:  # the database went away, a bug: retry later, never lose the fax
            log.exception("fax %s could not be processed", receipt.linkedid)
            await self._retry_or_fail(receipt, f"{type(exc).__name__}: {exc}")
        return True

    async def run(self, poll: float = 30.0) -> None:
        requeued = await self.receipts.requeue_processing(self.clock())
        if requeued:
            log.warning("%d fax(es) interrupted by a restart were queued again", requeued)
        await drain_forever(self.run_once, self.wakeup, poll)

    async def _process(self, receipt: FaxReceipt) -> None:
        source = self._incoming(receipt.file)
        if source is None or not source.is_file():
            await self._retry_or_fail(receipt, f"fax file not found: {receipt.file!r} in {self.incoming_dir}")
            return
        if source.stat().st_size > MAX_FAX_BYTES:
            await self.receipts.settle(receipt, self.clock(), status="error", error="fax file too large")
            return
        data = await asyncio.to_thread(source.read_bytes)
        try:
            doc = await asyncio.to_thread(convert, data)
        except FaxImageError as exc:
            await self.receipts.settle(receipt, self.clock(), status="error", error=f"{exc.error_id}: {exc}")
            log.error("fax %s is not a readable TIFF: %s", receipt.linkedid, exc)
            return
        documents = await self._store(data, doc)
        text = await self._recognise(receipt, doc)
        # The receipt keeps the OCR text as read; the draft gets what the sender wrote.
        order = await draft_from_text(self.orders, self.extract, TextSource(
            channel=Channel.FAX, sender=receipt.caller, text=without_machine_headers(text), received_at=receipt.received_at,
            subject="传真来件（待确认）", label="传真识别文本", empty=NO_TEXT,
            attachments=(documents["pdf"], documents["tiff"]), source=f"fax:{receipt.linkedid}",
            extra={"fax": {"linkedid": receipt.linkedid, "pages": doc.pages}}))
        await self.blobs.attach([documents["pdf"], documents["tiff"], *documents["pages"]], order.number)
        if self.calls is not None:
            await self.calls.link_order(receipt.linkedid, order.number)
        await self.receipts.settle(receipt, self.clock(), status="drafted", order_number=order.number, text=text,
                                   documents=documents, pages=doc.pages, error=None)
        if self.sms is not None:
            await self.sms.queue(receipt.caller, "fax_received", {"draft_no": order.number},
                                 key=f"fax:{receipt.linkedid}:fax_received", order_number=order.number)
        log.info("fax %s (%d pages) → draft %s", receipt.linkedid, doc.pages, order.number)

    async def _recognise(self, receipt: FaxReceipt, doc: FaxDocument) -> str:
        if not self.ocr:
            return ""
        try:
            return await ocr_document(doc)
        except OcrError as exc:  # drafted anyway: an agent reads the pages
            log.error("OCR of fax %s failed (%s): %s", receipt.linkedid, exc.error_id, exc)
            return ""

    def _incoming(self, file: str | None) -> Path | None:
        """Only the file *name* from the event counts: Asterisk's path is its own (another container),
        and a name with a directory in it must not reach outside the spool."""
        name = PurePosixPath(file or "").name
        if not name or name in (".", "..") or "\\" in name:
            return None
        return self.incoming_dir / name

    async def _store(self, data: bytes, doc: FaxDocument) -> dict[str, Any]:
        """The TIFF as received, its PDF and page images, in the blob store: {"pdf", "tiff", "pages"}."""
        pdf = await self.blobs.store(doc.pdf, kind="fax", media=PDF, name="传真.pdf")
        tiff = await self.blobs.store(data, kind="fax", media=TIFF, name="传真.tif")
        pages = [await self.blobs.store(png, kind="fax-page", media=PNG, name=f"传真第{i}页.png")
                 for i, png in enumerate(doc.png_pages, start=1)]
        return {"pdf": pdf.id, "tiff": tiff.id, "pages": [p.id for p in pages]}

    async def _retry_or_fail(self, receipt: FaxReceipt, error: str) -> None:
        now = self.clock()
        if receipt.attempts < MAX_ATTEMPTS:
            await self.receipts.settle(receipt, now, status="received", error=error, updated_at=now + RETRY_AFTER)
        else:
            await self.receipts.settle(receipt, now, status="error", error=error)
            log.error("fax %s given up after %d attempts: %s", receipt.linkedid, receipt.attempts, error)
