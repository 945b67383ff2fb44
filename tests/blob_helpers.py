"""Reading what the blob store holds, the way the server does (through the store, by id)."""

from __future__ import annotations

import os
from typing import Any


async def read_blob(services: Any, blob_id: str) -> bytes:
    _, opened = await services.blobs.open_blob(blob_id)
    try:
        return os.pread(opened.fd, opened.size, 0)
    finally:
        opened.close()
