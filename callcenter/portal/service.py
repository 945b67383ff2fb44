"""The portal's use cases: submit (a draft for an agent), track, add a supplement, rate.

Every one ends in the order service the other channels use: the draft through
`draft_from_text`, the supplement and the rating as the same commands the SMS and IVR paths
apply, so the first rating of phone, SMS or portal is the one that counts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from callcenter.blobs.service import BlobService
from callcenter.callbacks.services import CallbackService
from callcenter.db.errors import OrderNotFound, VersionConflict
from callcenter.intake.text_drafts import Extract, TextSource, draft_from_text
from callcenter.orders.services import OrderService
from callcenter.sms.phone import phone_key
from callcenter.sms.services import SmsService
from worksheet import commands as c
from worksheet.errors import WorksheetError
from worksheet.model import Actor, Channel, Enterprise, Rating, Role, WorkOrder

from . import forms
from .codes import VerificationCodes
from .errors import CodeRejected, NotAllowedNow
from .guard import Guard
from .signing import signed, unsigned
from .store import PortalStore

log = logging.getLogger(__name__)
PORTAL = Actor("portal", Role.SYSTEM)  # the history names the portal as the author
TRACK_LIFETIME = timedelta(minutes=30)
NO_MATCH = "工单编号、手机号码或验证码不正确。"


class PortalService:
    def __init__(self, store: PortalStore, guard: Guard, codes: VerificationCodes, orders: OrderService,
                 blobs: BlobService, sms: SmsService, callbacks: CallbackService, extract: Extract | None,
                 clock: Callable[[], datetime]) -> None:
        self.store, self.guard, self.codes = store, guard, codes
        self.orders, self.blobs, self.sms, self.callbacks = orders, blobs, sms, callbacks
        self.extract, self.clock = extract, clock

    async def prune_forever(self, every_s: float = 3600.0) -> None:
        """Forget limit hits and codes older than a day (the limits look back an hour at most)."""
        while True:
            try:
                await self.store.prune(self.clock() - timedelta(days=1))
            except Exception:  # the database was away: the next round tries again
                log.exception("pruning the portal's limits failed")
            await asyncio.sleep(every_s)

    async def suggest(self, typed: str, limit: int = 5) -> list[str]:
        typed = " ".join(typed.split())[:50]
        return await self.store.enterprise_names(typed, limit) if len(typed) >= 2 else []

    # --- submitting ---------------------------------------------------------------------

    async def submit(self, form: forms.Submission, files: Sequence[forms.Upload], code: str,
                     address: str) -> WorkOrder:
        """A checked form whose number proves itself with ``code`` → a draft, its files attached."""
        await self.guard.within("submit-addr", address, self.guard.limits.submits_per_address,
                                "提交过于频繁，请一小时后再试。")
        await self.codes.verify(form.phone, "submit", code, address)
        ids = []
        for upload in files:
            name = forms.display_name(upload)
            blob = await self.blobs.store(upload.data, kind="upload", media=upload.media, name=name,
                                          created_by=PORTAL.id)
            ids.append(blob.id)
        enterprise = Enterprise(name=form.enterprise_name, credit_code=form.credit_code,
                                contact_person=form.contact_person, phone=form.phone)
        draft = await draft_from_text(self.orders, self.extract, TextSource(
            channel=Channel.WEB, sender=form.phone, text=form.content, received_at=self.clock(),
            subject=form.subject or "网上留言（待确认）", label="网上留言原文", empty="（无内容）",
            attachments=tuple(ids), source="portal", enterprise=enterprise, category=form.category,
            kept=frozenset({"enterprise", "category", *(["subject"] if form.subject else [])}),
            extra={"portal": {"address": address[:64]}}))
        await self.sms.queue(form.phone, "portal_received", {"draft_no": draft.number},
                             key=f"portal-received:{draft.number}", order_number=draft.number)
        log.info("portal request became draft %s (%d attachment(s))", draft.number, len(ids))
        return draft

    # --- tracking -----------------------------------------------------------------------

    async def send_tracking_code(self, number: str, phone: str, address: str) -> None:
        """A code to ``phone`` only if it is the order's number; the same answer either way."""
        order = await self._order(number)
        matches = order is not None and phone_key(order.enterprise.phone or "") == phone
        await self.codes.send(phone, f"track:{number}", address, deliver=matches)

    async def open_tracking(self, number: str, phone: str, code: str, address: str) -> str:
        """The tracking cookie's value for ``number`` once the code proves the number is the order's."""
        try:
            await self.codes.verify(phone, f"track:{number}", code, address)
        except CodeRejected:
            raise CodeRejected("code", NO_MATCH) from None
        expires = int((self.clock() + TRACK_LIFETIME).timestamp())
        return signed(await self.store.secret(), "track", f"{number}|{expires}")

    async def tracked(self, cookie: str | None) -> WorkOrder | None:
        """The order a tracking cookie opens (None when absent, forged or expired)."""
        value = unsigned(await self.store.secret(), "track", cookie)
        number, _, expires = (value or "").partition("|")
        if not number or not expires.isdigit() or int(expires) < self.clock().timestamp():
            return None
        return await self._order(number)

    async def _order(self, number: str) -> WorkOrder | None:
        try:
            return await self.orders.orders.get(number)
        except OrderNotFound:
            return None

    # --- on a tracked order -------------------------------------------------------------

    async def add_supplement(self, order: WorkOrder, text: str) -> WorkOrder:
        try:
            return await self.orders.act(order.number, c.AddSupplement(actor=PORTAL, text=text, source="portal"))
        except (WorksheetError, VersionConflict) as exc:
            log.info("portal supplement to %s refused: %s", order.number, exc)
            raise NotAllowedNow(None, "该工单已办结或已作废，不能再补充；如有新的问题，请重新提交留言。") from None

    async def rate(self, order: WorkOrder, rating: Rating, comment: str) -> WorkOrder:
        """The satisfaction answer, the way the IVR and SMS surveys record theirs: the order takes the
        first answer (a second finds it no longer awaiting one), then the callback job is settled,
        so no call is made and no SMS survey waits after it."""
        try:
            rated = await self.orders.act(order.number, c.RecordCallback(actor=PORTAL, rating=rating, note=comment))
        except (WorksheetError, VersionConflict) as exc:
            log.info("portal rating of %s refused: %s", order.number, exc)
            raise NotAllowedNow(None, "该工单当前不在回访评价阶段（可能已通过电话或短信评价）。") from None
        await self.callbacks.on_survey_result(order.number, rating)
        job = await self.callbacks.repo.active_for(order.number)
        if job is not None and job.cycle == order.cycle:
            await self.callbacks.repo.cancel(job, self.clock())  # a call not yet dialled: not needed now
        return rated


def order_view(order: WorkOrder, orders: OrderService) -> dict[str, Any]:
    """What the enterprise sees of its order: no internal notes, no other people's numbers."""
    clock = order.clock("handling") or order.clock("redo")
    due = orders.policy.due(order.preset, clock).due if clock else None
    supplements = [{"at": e.at, "text": e.data.get("text", "")} for e in order.history if e.type == "supplement"]
    last = order.callbacks[-1] if order.callbacks else None
    return {"number": order.number, "status": order.status.value, "received_at": order.received_at,
            "subject": order.subject, "content": order.content, "category": order.category.value,
            "enterprise": order.enterprise.name, "phone": order.enterprise.phone or "", "due": due,
            "reply": order.reply or order.direct_answer, "supplements": supplements,
            "rating": last.rating.value if last else None, "rating_note": last.note if last else "",
            "can_supplement": order.status.value not in ("closed", "merged", "discarded"),
            "can_rate": order.status.value == "callback_pending"}
