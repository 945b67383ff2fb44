"""Opaque bearer tokens. The client keeps the token; the database keeps only its SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """Return (token to hand out, digest to store)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, digest(token)
