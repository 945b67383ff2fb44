"""Values the portal hands to browsers and takes back, signed with the portal's key (portal_state,
the same on every node): the forms' CSRF tokens, the tracking cookie, the challenges. Pure."""

from __future__ import annotations

import hashlib
import hmac


def sign(key: bytes, purpose: str, value: str) -> str:
    """HMAC-SHA256 over ``purpose`` and ``value``: a token for one use is no token for another."""
    return hmac.new(key, f"zhitong-portal:{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def signed(key: bytes, purpose: str, value: str) -> str:
    return f"{value}~{sign(key, purpose, value)}"


def unsigned(key: bytes, purpose: str, token: object) -> str | None:
    """The value of a token made by `signed`, or None when it was not made with ``key`` for ``purpose``."""
    if not isinstance(token, str) or not token.isascii() or "~" not in token or len(token) > 512:
        return None
    value, _, mac = token.rpartition("~")
    return value if hmac.compare_digest(mac, sign(key, purpose, value)) else None


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two ASCII tokens (False for anything else)."""
    return a.isascii() and b.isascii() and hmac.compare_digest(a, b)
