"""HotlineDesk: what the FastAGI routes ask of the work-order service.

A caller's voice message becomes a DRAFT order (an agent confirms it; the speech issue fills in
the transcript), linked to the call record; a survey answer becomes the order's callback result.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from callcenter.blobs.service import BlobService
from callcenter.callbacks.services import CallbackService
from callcenter.calls.services import CallService
from callcenter.db.errors import OrderNotFound
from callcenter.orders.services import SYSTEM, OrderService
from callcenter.sms.privacy import mask_numbers, mask_phone
from callcenter.speech.services import SpeechService
from ivr.ports import OrderStatusView
from worksheet import callerid
from worksheet import commands as c
from worksheet.deadlines import handling_deadline
from worksheet.errors import WorksheetError
from worksheet.intake import NewOrder
from worksheet.model import Category, Channel, Enterprise, Rating, Status

logger = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
ORDER_NUMBER = re.compile(r"^\d{8}-\d{4}$")

STATUS_TEXT = {
    Status.DRAFT: "草稿", Status.REGISTERED: "已登记", Status.DISPATCHED: "已派单", Status.RETURNED: "已回退",
    Status.HANDLING: "办理中", Status.EXTENSION_REQUESTED: "延期申请中", Status.REPLIED: "已答复",
    Status.CALLBACK_PENDING: "待回访", Status.UNDER_REVIEW: "审核中", Status.CLOSED: "已办结",
    Status.MERGED: "已合并", Status.DISCARDED: "已作废", Status.RETURNED_TO_CITY: "已退回市级平台",
}
MENU_CATEGORY = {"policy": Category.CONSULTATION, "report": Category.HELP, "complaint": Category.COMPLAINT}
MENU_SUBJECT = {"policy": "政策咨询留言", "report": "反映问题留言", "complaint": "投诉建议留言"}


class OrderDesk:
    def __init__(self, orders: OrderService, calls: CallService | None, clock: Callable[[], datetime],
                 speech: SpeechService | None = None, callbacks: CallbackService | None = None,
                 blobs: BlobService | None = None) -> None:
        self.orders = orders
        self.blobs = blobs
        self.calls = calls
        self.clock = clock
        self.speech = speech
        self.callbacks = callbacks

    async def order_status(self, order_number: str) -> OrderStatusView | None:
        if not ORDER_NUMBER.match(order_number):
            return None
        try:
            order = await self.orders.get(order_number, SYSTEM)
        except OrderNotFound:
            return None
        deadline = handling_deadline(order, self.orders.policy)
        due = None
        if deadline is not None and order.status not in (Status.CLOSED, Status.MERGED):
            d = deadline.due.astimezone(SHANGHAI)
            due = f"{d.year}年{d.month}月{d.day}日{d.hour}时"
        return OrderStatusView(order.number, STATUS_TEXT.get(order.status, "办理中"), due)

    async def leave_message(self, *, caller: str, caller_name: str, recording: str, uniqueid: str,
                            linkedid: str, menu_choice: str | None) -> str:
        # Whatever the route passed: a withheld or missing number ("anonymous", "unknown") is none,
        # and the message is drafted without one rather than refused by the phone validation.
        phone = callerid.caller_number(caller)
        # The recording is kept by id; Asterisk's path (and a rogue AGI peer's) never reaches a file open.
        blob = await self.blobs.register_recording(recording) if self.blobs is not None and recording else None
        if recording and blob is None:
            logger.warning("voice message of call %s: recording %r not accepted; the draft has none",
                           linkedid, recording[-60:])
        who = mask_phone(phone) if phone else "未知号码"
        # The caller-ID name is the carrier's label for the line, not the enterprise: it is shown as
        # such, and the enterprise's name is left for the transcript or the agent to fill in.
        cnam = callerid.caller_name(caller_name)
        shown = f"（来电显示“{mask_numbers(cnam)}”）" if cnam else ""
        subject = MENU_SUBJECT.get(menu_choice or "", "电话留言")
        spec = NewOrder(
            channel=Channel.PHONE,
            category=MENU_CATEGORY.get(menu_choice or "", Category.HELP),
            enterprise=Enterprise(name=f"来电 {who}", phone=phone),
            subject=f"{subject}（待转写）",
            content=f"来电 {who}{shown} 的语音留言{'（录音见附件）' if blob else '（没有录音）'}。请收听录音后补全诉求内容。",
            received_at=self.clock(),
            attachments=(blob.id,) if blob else (),
            draft=True,
            extra={"call": {"linkedid": linkedid, "uniqueid": uniqueid, "recording": blob.id if blob else None,
                            "menu_choice": menu_choice, "caller_name": cnam or None}},
        )
        order = await self.orders.create(spec, SYSTEM)
        if self.calls is not None and linkedid:
            try:
                await self.calls.link_order(linkedid, order.number)
            except Exception:  # the draft exists; a missing link is repaired from the order's extra
                logger.exception("linking call %s to draft %s failed", linkedid, order.number)
        path = self.blobs.recording_file(recording) if self.blobs is not None and blob else None
        if self.speech is not None and path is not None:
            try:
                await self.speech.enqueue(kind="message", path=str(path), linkedid=linkedid or None,
                                          order_number=order.number, caller=phone)
            except Exception:  # the draft and its recording stay; an agent can still listen to it
                logger.exception("queueing the transcription of %s failed", recording)
        return order.number

    async def record_survey(self, *, order_number: str, answer: str | None, uniqueid: str) -> None:
        if answer is not None:
            try:
                await self.orders.act(order_number, c.RecordCallback(actor=SYSTEM, rating=Rating(answer)))
            except (OrderNotFound, WorksheetError) as exc:
                logger.warning("survey answer %s for %s not recorded: %s", answer, order_number, exc)
                return
        else:
            logger.info("survey for %s got no valid answer (channel %s)", order_number, uniqueid)
        if self.callbacks is not None:  # the job is done, or retries later when nothing was keyed
            await self.callbacks.on_survey_result(order_number, answer)
