"""Serving a blob's bytes from the descriptor the store opened (never by path), with byte ranges so
the browser's audio player can seek in a long recording."""

from __future__ import annotations

import asyncio
import os
import re
from urllib.parse import quote

from aiohttp import web

from .files import OpenBlob
from .repository import Blob
from .sniff import BY_EXTENSION

CHUNK = 256 << 10
_RANGE = re.compile(r"^bytes=(\d{0,15})-(\d{0,15})$")
_INLINE_TYPES = frozenset(t.content_type for t in BY_EXTENSION.values() if t.inline)
# Files the server made itself (fax PDFs and pages) open in the browser; an upload's PDF or office
# document is downloaded instead, so nothing a client sent is rendered by the browser as ours.
_SERVER_MADE_INLINE = frozenset({"application/pdf", "image/tiff"})


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(start, end exclusive) of a single "bytes=a-b" range; None for the whole file.
    ValueError for a range that cannot be satisfied."""
    if not header:
        return None
    m = _RANGE.match(header.strip())
    if not m or not (m.group(1) or m.group(2)):
        return None  # multiple or odd ranges: the whole file, as RFC 9110 allows
    if not m.group(1):  # "-N": the last N bytes
        start, end = max(0, size - int(m.group(2))), size
    else:
        start = int(m.group(1))
        end = min(size, int(m.group(2)) + 1) if m.group(2) else size
    if start >= size or start >= end:
        raise ValueError("unsatisfiable range")
    return start, end


def disposition(blob: Blob) -> str:
    inline = blob.content_type in _INLINE_TYPES or (blob.kind != "upload" and blob.content_type in _SERVER_MADE_INLINE)
    return f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(blob.name, safe='')}"


async def send_blob(request: web.Request, blob: Blob, opened: OpenBlob) -> web.StreamResponse:
    """Stream the open file; the descriptor is closed whatever happens."""
    try:
        headers = {"Content-Type": blob.content_type, "X-Content-Type-Options": "nosniff",
                   "Content-Disposition": disposition(blob), "Accept-Ranges": "bytes",
                   "Cache-Control": "private, no-store",
                   "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'; "
                                              "style-src 'unsafe-inline'; frame-ancestors 'self'"}
        try:
            span = byte_range(request.headers.get("Range"), opened.size)
        except ValueError:
            raise web.HTTPRequestRangeNotSatisfiable(headers={"Content-Range": f"bytes */{opened.size}"}) from None
        start, end = span or (0, opened.size)
        response = web.StreamResponse(status=206 if span else 200, headers=headers)
        if span:
            response.headers["Content-Range"] = f"bytes {start}-{end - 1}/{opened.size}"
        response.content_length = end - start
        await response.prepare(request)
        if request.method == "HEAD":
            return response
        offset = start
        while offset < end:
            chunk = await asyncio.to_thread(os.pread, opened.fd, min(CHUNK, end - offset), offset)
            if not chunk:
                break  # the file shrank under us; the client sees a short body
            await response.write(chunk)
            offset += len(chunk)
        await response.write_eof()
        return response
    finally:
        opened.close()
