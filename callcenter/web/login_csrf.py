"""The login form's CSRF token, before there is a session to derive one from: a signed
double-submit cookie.

GET /login puts a random nonce in an HttpOnly, SameSite=Strict cookie (path /login) and
HMAC(key, nonce) in the form; POST /login must bring both, matching. Without it, another site
could make a visitor's browser sign in to an account of the attacker's (login CSRF), so that what
the visitor then types into the hotline lands where the attacker reads it. That site can neither
read our form nor set our cookie, and without the key (auth_state.login_csrf_key, the same on
every node) no token can be made for a nonce of its choosing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web

COOKIE = "zt_login"
FIELD = "_csrf"
MAX_AGE_S = 2 * 3600
_NONCE_LENGTH = 43  # secrets.token_urlsafe(32)


def sign(key: bytes, nonce: str) -> str:
    return hmac.new(key, b"zhitong-login-form:" + nonce.encode(), hashlib.sha256).hexdigest()


def _sent_nonce(request: web.Request) -> str | None:
    nonce = request.cookies.get(COOKIE, "")
    ok = len(nonce) == _NONCE_LENGTH and nonce.isascii() and all(ch.isalnum() or ch in "-_" for ch in nonce)
    return nonce if ok else None


def nonce(request: web.Request) -> tuple[str, bool]:
    """The browser's nonce, or a new one: (nonce, whether the response must set the cookie)."""
    sent = _sent_nonce(request)
    return (sent, False) if sent is not None else (secrets.token_urlsafe(32), True)


def set_cookie(response: web.StreamResponse, value: str, *, secure: bool) -> None:
    response.set_cookie(COOKIE, value, httponly=True, samesite="Strict", secure=secure, max_age=MAX_AGE_S,
                        path="/login")


def valid(request: web.Request, sent: object, key: bytes) -> bool:
    """The form's token matches the cookie's nonce."""
    found = _sent_nonce(request)
    return found is not None and isinstance(sent, str) and hmac.compare_digest(sent, sign(key, found))
