"""Opaque bearer tokens. The client keeps the token; the database keeps only its SHA-256 digest."""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_BYTES = 32
# What new_token() hands out (43 URL-safe characters), with room for a future length. Anything
# else (bytes that are not UTF-8, spaces, control characters) is refused before it is hashed.
_WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{20,128}")


def well_formed(token: str) -> bool:
    return _WELL_FORMED.fullmatch(token) is not None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """Return (token to hand out, digest to store)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, digest(token)
