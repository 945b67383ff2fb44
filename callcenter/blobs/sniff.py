"""What an uploaded file really is, from its first bytes (pure).

The type a browser or client declares is ignored: a file is stored only when its bytes are one of
the kinds an enterprise sends a hotline (scans, photos, PDFs, office documents, voice notes), and it
is served later with the type found here, never as HTML or script.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True)
class MediaType:
    content_type: str
    extension: str
    inline: bool  # shown in the browser (images, audio) rather than downloaded


PDF = MediaType("application/pdf", ".pdf", False)
PNG = MediaType("image/png", ".png", True)
JPEG = MediaType("image/jpeg", ".jpg", True)
TIFF = MediaType("image/tiff", ".tif", False)
WAV = MediaType("audio/wav", ".wav", True)
MP3 = MediaType("audio/mpeg", ".mp3", True)
GSM = MediaType("audio/x-gsm", ".gsm", False)
DOCX = MediaType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", False)
XLSX = MediaType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", False)
OFD = MediaType("application/ofd", ".ofd", False)  # 国产版式文档 (GB/T 33190), common in government
DOC = MediaType("application/msword", ".doc", False)
XLS = MediaType("application/vnd.ms-excel", ".xls", False)

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MEMBERS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX), ("OFD.xml", OFD))
BY_EXTENSION = {t.extension: t for t in (PDF, PNG, JPEG, TIFF, WAV, MP3, GSM, DOCX, XLSX, OFD, DOC, XLS)}
ACCEPTED = "PDF、图片（PNG/JPEG/TIFF）、录音（WAV/MP3）、Word/Excel 文档或 OFD"  # for the upload form


def sniff(data: bytes, filename: str = "") -> MediaType | None:
    """The media type of ``data``, or None when it is not a kind the hotline accepts.

    ``filename`` only tells the legacy Office formats apart (Word and Excel share one container)."""
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return MP3
    if head.startswith(b"PK\x03\x04"):
        return _zip_document(data)
    if head.startswith(_OLE):
        suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
        return {"doc": DOC, "xls": XLS}.get(suffix)
    return None


def _zip_document(data: bytes) -> MediaType | None:
    """An OOXML or OFD package by the member that defines it; only the directory is read."""
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None
    return next((kind for member, kind in _ZIP_MEMBERS if member in names), None)
