"""A mail's attachments into the blob store, within limits; what was left out, said in Chinese.

The sender's file name is only shown (sanitised by ``display_name``); the stored file's name and
type come from our store and from the bytes (``sniff``). Files are stored as unattached uploads of
the system, so the ones a crashed attempt left behind are swept like any upload no order took.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from callcenter.blobs.service import BlobService, display_name
from callcenter.blobs.sniff import MediaType, sniff

from .codec import Attachment

MAX_ATTACHMENTS = 10


@dataclass(frozen=True)
class StoredAttachments:
    ids: tuple[str, ...]
    names: tuple[str, ...]
    notes: tuple[str, ...]  # one line per file left out


def _size(n: int) -> str:
    return f"{n >> 20}MB" if n >= 1 << 20 else f"{max(1, n >> 10)}KB"


def _shown(name: str) -> str:
    """The sender's name for a file we did not keep, safe to show (its own extension kept)."""
    suffix = re.sub(r"[^0-9A-Za-z.]", "", PurePosixPath(name.replace("\\", "/")).suffix)[:10]
    return display_name(name, MediaType("application/octet-stream", suffix, False))[:60]


async def store_attachments(blobs: BlobService, attachments: Sequence[Attachment], *, per_file: int,
                            keep: bool = True) -> StoredAttachments:
    ids: list[str] = []
    names: list[str] = []
    notes: list[str] = []
    for item in attachments:
        shown = _shown(item.filename)
        if not keep:
            notes.append(f"附件“{shown}”因邮件过大未保存，请到邮箱查看原件")
            continue
        if len(ids) >= MAX_ATTACHMENTS:
            notes.append(f"附件“{shown}”未保存：每封邮件最多保存{MAX_ATTACHMENTS}个附件")
            continue
        if len(item.data) > per_file:
            notes.append(f"附件“{shown}”未保存：超过{_size(per_file)}")
            continue
        media = sniff(item.data, item.filename)
        if media is None:
            notes.append(f"附件“{shown}”未保存：不受理的文件类型")
            continue
        name = display_name(item.filename, media)
        blob = await blobs.store(item.data, kind="upload", media=media, name=name, created_by="system")
        ids.append(blob.id)
        names.append(name)
    return StoredAttachments(tuple(ids), tuple(names), tuple(notes))
