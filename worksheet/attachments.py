"""An order's attachments are the opaque ids of files the server stored itself.

Never a path: a client that could name a file could name any file on the server (the database
included). The server hands out an id when it stores a recording, a fax or an upload, and keeps
where the bytes live to itself; here an id is only checked for shape.
"""

from __future__ import annotations

import re

from .errors import ValidationError

ATTACHMENT_ID = re.compile(r"^[A-Za-z0-9_-]{16,40}$")
MAX_ATTACHMENTS = 50


def attachment_ids(value: object, field_name: str = "attachments") -> tuple[str, ...]:
    """The ids in order, without repeats; ValidationError for anything that is not a list of ids."""
    if not isinstance(value, list | tuple):
        raise ValidationError(f"{field_name} must be a list of attachment ids")
    if len(value) > MAX_ATTACHMENTS:
        raise ValidationError(f"{field_name} may hold at most {MAX_ATTACHMENTS} attachments")
    for item in value:
        if not isinstance(item, str) or not ATTACHMENT_ID.match(item):
            raise ValidationError(f"{field_name} must hold attachment ids as returned by an upload, not paths or names")
    return tuple(dict.fromkeys(value))
