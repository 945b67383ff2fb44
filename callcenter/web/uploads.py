"""A page form that carries files (multipart/form-data), read as it streams.

The session middleware does not buffer these bodies (files may be far larger than a form); the
handler reads the CSRF token first, the text fields next (each bounded), and stores each file as
it arrives, so no more than one file is ever held in memory.
"""

from __future__ import annotations

import hmac

from aiohttp import BodyPartReader, web

from callcenter.blobs.http import next_part, open_multipart, read_part
from callcenter.blobs.keys import BLOBS
from callcenter.blobs.repository import Blob
from callcenter.blobs.service import MAX_FILES
from callcenter.http.hygiene import check_text
from worksheet.model import Actor

from .session import CSRF_FIELD, WEB_TOKEN, csrf_token

MAX_FIELD = 64 << 10  # a form's text field: the longest order text is 20,000 characters


async def form_with_files(request: web.Request, actor: Actor) -> tuple[dict[str, str], list[Blob]]:
    """(text fields, stored files) of a multipart page form; 403 unless its first field is the CSRF token."""
    if not request.content_type.startswith("multipart/form-data"):
        form = await request.post()  # the same form without files (or without JavaScript's help)
        return {k: v for k, v in form.items() if isinstance(v, str)}, []
    reader = await open_multipart(request)
    first = await next_part(reader)
    is_token = isinstance(first, BodyPartReader) and first.name == CSRF_FIELD
    sent = (await read_part(first, 256)).decode("ascii", "replace") if is_token else ""  # type: ignore[arg-type]
    if not sent.isascii() or not hmac.compare_digest(sent, csrf_token(request[WEB_TOKEN])):
        raise web.HTTPForbidden(text="表单已失效（CSRF 校验失败），请刷新页面后重试")
    fields: dict[str, str] = {}
    files: list[Blob] = []
    service = request.app[BLOBS]
    while (part := await next_part(reader)) is not None:
        if not isinstance(part, BodyPartReader) or not part.name:
            continue
        if part.filename is None:
            value = (await read_part(part, MAX_FIELD)).decode("utf-8", "replace")
            check_text(part.name, "the name of a form field")
            check_text(value, f"form field {part.name!r}")
            fields[part.name] = value
        elif part.filename:  # an empty file input sends a part with an empty name: no file chosen
            if len(files) == MAX_FILES:
                raise web.HTTPRequestEntityTooLarge(max_size=MAX_FILES, actual_size=MAX_FILES + 1,
                                                    text=f"一次最多上传 {MAX_FILES} 个附件")
            data = await read_part(part, service.upload_max)
            if data:
                files.append(await service.upload(data, part.filename, actor))
    return fields, files
