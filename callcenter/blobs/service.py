"""Storing, referencing and opening the files orders carry.

Clients never name a file: they upload bytes (checked for size and kind) and get an id, or
reference ids they may already see. A download is always through an order the person may see,
and only of an id that order lists.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from worksheet.model import Actor, Role, WorkOrder

from .errors import (
    AttachmentNotFound,
    AttachmentUnavailable,
    FileTooLarge,
    UnknownAttachment,
    UnsupportedFile,
    UploadQuotaExceeded,
)
from .files import BlobFileError, BlobFiles, OpenBlob, valid_location
from .repository import Blob, BlobRepository, new_blob_id
from .sniff import ACCEPTED, BY_EXTENSION, MediaType, sniff

log = logging.getLogger(__name__)
MAX_FILES = 10  # per upload (an API request or a page form)
UNATTACHED_QUOTA = 200 << 20  # per person and day: uploads not attached to any order yet
UNATTACHED_KEPT = timedelta(days=7)  # then an upload no order took is deleted
SWEEP_EVERY_S = 3600.0
MAX_RECORDING = 2 << 30  # larger than any call: not hashed
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
CanSee = Callable[[str], Awaitable[bool]]


def display_name(filename: str, media: MediaType) -> str:
    """A file name safe to show and to offer on download: no folders, no control characters."""
    base = _UNSAFE_NAME.sub("_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip(" ._")[:120]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem or '附件'}{media.extension}"


class BlobService:
    def __init__(self, repo: BlobRepository, files: BlobFiles, clock: Callable[[], datetime], *,
                 upload_max: int = 20 << 20) -> None:
        self.repo, self.files, self.clock, self.upload_max = repo, files, clock, upload_max

    async def upload(self, data: bytes, filename: str, actor: Actor) -> Blob:
        """A person's upload, not yet attached: kept only if it is a kind of file the hotline takes."""
        if len(data) > self.upload_max:
            raise FileTooLarge(f"a file may have at most {self.upload_max >> 20} MB")
        media = sniff(data, filename)
        if media is None:
            raise UnsupportedFile(f"accepted are {ACCEPTED}")
        now = self.clock()
        if await self.repo.unattached_bytes(actor.id, now - timedelta(days=1)) + len(data) > UNATTACHED_QUOTA:
            raise UploadQuotaExceeded("attach the files uploaded today to orders before uploading more")
        return await self.store(data, kind="upload", media=media, name=display_name(filename, media),
                                created_by=actor.id)

    async def store(self, data: bytes, *, kind: str, media: MediaType, name: str, created_by: str = "system",
                    order_number: str | None = None) -> Blob:
        """Write ``data`` into our own store and record it."""
        location, sha = await asyncio.to_thread(self.files.write, data)
        blob = Blob(new_blob_id(), order_number, kind, media.content_type, name, len(data), sha, "store", location,
                    created_by, self.clock())
        await self.repo.add(blob)
        return blob

    def recording_file(self, reported: str) -> Path | None:
        """Where we read a recording Asterisk reports (a path in *its* file system): only the file name
        counts, looked up in our recordings folder; None for a name that is not a recording's."""
        name = PurePosixPath(reported or "").name
        if not valid_location("recordings", name):
            log.warning("recording name refused: %r", name[:80])
            return None
        return self.files.roots["recordings"] / name

    async def register_recording(self, reported: str, *, order_number: str | None = None) -> Blob | None:
        """Record a recording Asterisk reports as a blob (see `recording_file`)."""
        if (path := self.recording_file(reported)) is None:
            return None
        name = path.name
        media = BY_EXTENSION.get(PurePosixPath(name.lower()).suffix, BY_EXTENSION[".wav"])
        size, sha = None, None
        try:  # usually complete already (the message was recorded, the call has ended)
            size, sha = await asyncio.to_thread(self.files.digest, "recordings", name, MAX_RECORDING)
        except BlobFileError:
            pass  # still being written or copied: digested when first served
        blob = Blob(new_blob_id(), order_number, "recording", media.content_type, name, size, sha, "recordings", name,
                    "system", self.clock())
        await self.repo.add(blob)
        return blob

    async def check_references(self, ids: Sequence[str], actor: Actor, can_see: CanSee) -> None:
        """Each id must be a file this person may see: their own unattached upload, or one owned by an
        order they may see. Unknown and forbidden ids get the same answer."""
        if not ids or actor.role == Role.SYSTEM:
            return
        found = await self.repo.get_many(ids)
        for blob_id in ids:
            blob = found.get(blob_id)
            allowed = blob is not None and (
                blob.created_by == actor.id if blob.order_number is None else await can_see(blob.order_number))
            if not allowed:
                raise UnknownAttachment(f"attachment {blob_id} is unknown or not yours to attach")

    async def attach(self, ids: Sequence[str], order_number: str) -> None:
        if ids:
            await self.repo.attach(ids, order_number)

    async def for_order(self, order: WorkOrder) -> list[Blob]:
        """The order's attachments in its order (ids without a row are left out)."""
        found = await self.repo.get_many(order.attachments)
        return [found[i] for i in order.attachments if i in found]

    async def open(self, order: WorkOrder, blob_id: str) -> tuple[Blob, OpenBlob]:
        """An attachment of ``order`` (which the caller has already been allowed to see)."""
        if blob_id not in order.attachments:
            raise AttachmentNotFound(f"order {order.number} has no attachment {blob_id}")
        return await self.open_blob(blob_id)

    async def open_blob(self, blob_id: str) -> tuple[Blob, OpenBlob]:
        """A blob by id, for callers that checked the person may see it (an order's, a fax's)."""
        blob = (await self.repo.get_many([blob_id])).get(blob_id)
        if blob is None or blob.area == "rejected":
            raise AttachmentUnavailable(f"attachment {blob_id} cannot be served")
        try:
            opened = await asyncio.to_thread(self.files.open, blob.area, blob.location)
        except BlobFileError as exc:
            raise AttachmentUnavailable(f"attachment {blob_id}: {exc}") from None
        if blob.sha256 is None and blob.area == "recordings":
            await self._digest_later(blob)
        return blob, opened

    async def _digest_later(self, blob: Blob) -> None:
        try:
            size, sha = await asyncio.to_thread(self.files.digest, blob.area, blob.location, MAX_RECORDING)
        except BlobFileError:
            return
        await self.repo.set_digest(blob.id, size, sha)

    async def sweep(self) -> int:
        """Delete uploads that no order took within UNATTACHED_KEPT; the number of files freed."""
        freed = await self.repo.forget_stale_uploads(self.clock() - UNATTACHED_KEPT)
        for location in freed:
            await asyncio.to_thread(self.files.remove, location)
        return len(freed)

    async def run_sweeps(self) -> None:
        while True:
            try:
                if removed := await self.sweep():
                    log.info("removed %d upload(s) no order took within %s", removed, UNATTACHED_KEPT)
            except Exception:  # the database was away: the next hour tries again
                log.exception("upload sweep failed")
            await asyncio.sleep(SWEEP_EVERY_S)
