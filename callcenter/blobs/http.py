"""HTTP routes for files: upload (bytes in, an id out) and an order's attachments (list, download).

There is no route that takes a path or a file name to read: a download names an order the caller
may see and one of that order's attachment ids.
"""

from __future__ import annotations

from urllib.parse import unquote

from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from callcenter.auth.http import actor_of, require_roles
from callcenter.http.json_body import json_response
from callcenter.http.problems import BadRequest
from callcenter.keys import ORDERS
from worksheet.model import Actor, Role

from .download import send_blob
from .errors import FileTooLarge, UnsupportedFile
from .keys import BLOBS
from .repository import Blob
from .service import MAX_FILES, BlobService

routes = web.RouteTableDef()
UPLOADERS = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)  # the roles that create orders and confirm drafts


async def read_part(part: BodyPartReader, limit: int) -> bytes:
    """A file part's bytes, refusing it as soon as it passes ``limit`` (nothing bigger is buffered)."""
    data = bytearray()
    try:
        while chunk := await part.read_chunk(64 << 10):
            data += chunk
            if len(data) > limit:
                raise FileTooLarge(f"a file may have at most {limit >> 20} MB")
    except _MALFORMED as exc:
        raise _malformed(exc) from None
    return bytes(data)


async def receive_uploads(request: web.Request, service: BlobService, actor: Actor) -> list[Blob]:
    """Store every file part of a multipart/form-data body; other fields are ignored."""
    if not request.content_type.startswith("multipart/form-data"):
        raise UnsupportedFile("send the files as multipart/form-data (a 'file' field per file)")
    reader = await open_multipart(request)
    stored: list[Blob] = []
    while (part := await next_part(reader)) is not None:
        if not isinstance(part, BodyPartReader) or not part.filename:
            continue
        if len(stored) == MAX_FILES:
            raise FileTooLarge(f"at most {MAX_FILES} files per upload")
        data = await read_part(part, service.upload_max)
        # Browsers send the name as raw UTF-8; aiohttp's own client percent-encodes it.
        stored.append(await service.upload(data, unquote(part.filename, errors="strict"), actor))
    return stored


# A part header with control characters, a missing or bad boundary, a truncated body…
_MALFORMED = (HttpProcessingError, ValueError, AssertionError, LookupError)


def _malformed(exc: Exception) -> BadRequest:
    return BadRequest(f"the multipart body is malformed ({type(exc).__name__})", error_id="malformed-multipart")


async def open_multipart(request: web.Request) -> MultipartReader:
    try:
        return await request.multipart()
    except _MALFORMED as exc:
        raise _malformed(exc) from None


async def next_part(reader: MultipartReader) -> object:
    try:
        return await reader.next()
    except _MALFORMED as exc:
        raise _malformed(exc) from None


@routes.post("/api/v1/attachments")
async def upload(request: web.Request) -> web.Response:
    actor = require_roles(request, *UPLOADERS)
    stored = await receive_uploads(request, request.app[BLOBS], actor)
    if not stored:
        raise UnsupportedFile("the body holds no file")
    return json_response({"items": [b.to_json() for b in stored]}, status=201)


@routes.get("/api/v1/orders/{number}/attachments")
async def list_attachments(request: web.Request) -> web.Response:
    order = await request.app[ORDERS].get(request.match_info["number"], actor_of(request))
    return json_response({"items": [b.to_json() for b in await request.app[BLOBS].for_order(order)]})


@routes.get("/api/v1/orders/{number}/attachments/{blob_id}")
async def download(request: web.Request) -> web.StreamResponse:
    order = await request.app[ORDERS].get(request.match_info["number"], actor_of(request))
    blob, opened = await request.app[BLOBS].open(order, request.match_info["blob_id"])
    return await send_blob(request, blob, opened)
