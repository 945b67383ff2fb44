"""Recordings -> transcripts -> draft fields, through a durable queue.

A voice message already has its draft (created while the caller was on the line); the worker
fills it in. An agent call's recording gets a new draft, linked to the call. Nothing is
confirmed here: an agent confirms every draft. Without a model (speech disabled) jobs simply
wait in the queue, and are transcribed once a model is configured.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from callcenter.blobs.service import BlobService
from callcenter.calls.services import CallService
from callcenter.orders.services import SYSTEM, OrderService
from callcenter.sms.privacy import mask_phone
from callcenter.speech.drafts import draft_changes
from callcenter.speech.jobs import Job, JobRepository, TranscriptRepository
from callcenter.workers import drain_forever
from worksheet import commands as c
from worksheet.callerid import caller_number
from worksheet.intake import NewOrder
from worksheet.model import Category, Channel, Enterprise, Status

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({"failed", "timeout"})  # worth another attempt (a busy or crashed decoder)
IDLE_POLL_S = 5.0  # other app nodes may enqueue too


class Transcriber(Protocol):
    async def transcribe_file(self, path: Path) -> Any: ...  # callcenter.asr Transcript


Extractor = Callable[[str, str | None, Sequence[Any]], Awaitable[dict[str, Any]]]


class SpeechService:
    def __init__(self, jobs: JobRepository, transcripts: TranscriptRepository, orders: OrderService,
                 calls: CallService | None, clock: Callable[[], datetime], *,
                 engine: Transcriber | None, extract: Extractor, blobs: BlobService | None = None) -> None:
        self.jobs, self.transcripts, self.orders, self.calls = jobs, transcripts, orders, calls
        self.clock, self.engine, self.extract, self.blobs = clock, engine, extract, blobs
        self._wakeup = asyncio.Event()
        self.processed = 0

    @property
    def enabled(self) -> bool:
        return self.engine is not None

    async def enqueue(self, *, kind: str, path: str, linkedid: str | None, order_number: str | None,
                      caller: str | None) -> int:
        job_id = await self.jobs.enqueue(kind=kind, path=path, linkedid=linkedid, order_number=order_number,
                                         caller=caller, now=self.clock())
        self._wakeup.set()
        return job_id

    async def on_call_ended(self, record: dict[str, Any]) -> None:
        """A call an agent answered becomes a draft from its recording (a message already has one)."""
        queue = record.get("queue") or {}
        recordings = record.get("recordings") or []
        if not queue.get("agent") or not recordings or record.get("order_number"):
            return
        # Only the file name Asterisk reports counts, read from our recordings folder.
        path = self.blobs.recording_file(str(recordings[0])) if self.blobs is not None else None
        if path is None:
            return
        await self.enqueue(kind="agent-call", path=str(path), linkedid=record.get("linkedid"),
                           order_number=None, caller=caller_number(record.get("caller")))

    async def run(self) -> None:
        """The worker loop (one per app node; jobs are claimed atomically)."""
        requeued = await self.jobs.requeue_running(self.clock())
        if requeued:
            logger.warning("%d transcription job(s) interrupted by a restart were queued again", requeued)
        await drain_forever(self.run_once, self._wakeup, IDLE_POLL_S)

    async def run_once(self) -> bool:
        """Process one queued job; False when there was none."""
        job = await self.jobs.claim(self.clock())
        if job is None:
            return False
        try:
            error = await self._process(job)
        except Exception as exc:  # a bug or the database: the job goes back to the queue
            logger.exception("transcription job %d (%s) failed", job.id, job.path)
            error = f"{type(exc).__name__}: {exc}"
        status = await self.jobs.finish(job, self.clock(), error=error)
        if status == "failed":
            await self._give_up(job, error or "")
        self.processed += 1
        return True

    async def _process(self, job: Job) -> str | None:
        assert self.engine is not None
        transcript = await self.engine.transcribe_file(Path(job.path))
        result = transcript.to_json()
        if transcript.status in RETRY_STATUSES:
            return f"transcription {transcript.status}: {getattr(transcript, 'detail', '')}"
        if transcript.status == "invalid-audio" and not Path(job.path).exists():
            return f"recording not found: {_name(job)}"  # Asterisk may still be writing it: retry
        await self.transcripts.save(source=job.path, linkedid=job.linkedid, transcript=result, now=self.clock())
        if job.order_number is None and (registered := await self._registered(job)) is not None:
            # The agent registered the call during it (the form that filled itself live): a second
            # draft from the recording would only be a duplicate to discard.
            logger.info("agent call %s was registered as %s while on the line; no draft from its recording",
                        job.linkedid, registered)
            return None
        fields = await self.extract(transcript.text, job.caller, transcript.words)
        number = job.order_number or await self._new_draft(job)
        order = await self.orders.get(number, SYSTEM)
        if order.status != Status.DRAFT:
            logger.info("draft %s was confirmed before its transcript arrived; suggestion not applied", number)
            return None
        enterprise = {"name": order.enterprise.name, "credit_code": order.enterprise.credit_code,
                      "contact_person": order.enterprise.contact_person, "phone": order.enterprise.phone}
        suggestion = {"source": _name(job), "transcript": result, "fields": fields, "empty": bool(fields.get("empty"))}
        changes = draft_changes(fields, transcript.text, enterprise)
        await self.orders.act(number, c.AmendDraft(actor=SYSTEM, changes=changes, suggestion=suggestion))
        return None

    async def _registered(self, job: Job) -> str | None:
        return await self.calls.order_of(job.linkedid) if self.calls is not None and job.linkedid else None

    async def _new_draft(self, job: Job) -> str:
        """An agent call's recording: a draft of its own, linked to the call, the recording attached."""
        blob = await self.blobs.register_recording(job.path) if self.blobs is not None else None
        phone = caller_number(job.caller)  # a job queued before callers were screened may hold "anonymous"
        who = mask_phone(phone) if phone else "未知号码"
        spec = NewOrder(channel=Channel.PHONE, category=Category.HELP,
                        enterprise=Enterprise(name=f"来电 {who}", phone=phone),
                        subject="坐席通话（待确认）", content=f"来电 {who} 的坐席通话（录音见附件）。",
                        received_at=self.clock(), attachments=(blob.id,) if blob else (), draft=True,
                        extra={"call": {"linkedid": job.linkedid, "recording": blob.id if blob else None}})
        order = await self.orders.create(spec, SYSTEM)
        await self.jobs.set_order(job, order.number)
        if self.calls is not None and job.linkedid:
            await self.calls.link_order(job.linkedid, order.number)
        return order.number

    async def _give_up(self, job: Job, error: str) -> None:
        """Out of attempts: the draft says so, so an agent listens to the recording instead."""
        if not job.order_number:
            return
        try:
            await self.orders.act(job.order_number, c.AmendDraft(actor=SYSTEM, suggestion={
                "source": _name(job), "transcript": None, "error": error.replace(job.path, _name(job))[:300],
                "empty": False}))
        except Exception:
            logger.exception("could not mark draft %s as untranscribed", job.order_number)


def _name(job: Job) -> str:
    """The recording as agents may see it: its file name, never a server path."""
    return PurePosixPath(job.path).name
