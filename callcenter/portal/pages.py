"""The portal's pages: their own templates (no staff navigation), the form's CSRF token (a signed
double-submit cookie, as the login form has: there is no session), and the security headers."""

from __future__ import annotations

import secrets
from typing import Any

import jinja2
from aiohttp import web

from callcenter.auth.throttle import address_key
from callcenter.keys import CLOCK, SECURE_COOKIES, TRUSTED_PROXIES
from callcenter.sms.privacy import mask_phone
from callcenter.web import labels
from callcenter.web.render import when

from .errors import FormExpired
from .forms import CATEGORIES, MAX_FILE_BYTES, MAX_FILES, RATINGS
from .keys import PORTAL
from .signing import same, sign

FORM_COOKIE = "zt_portal_form"
CSRF_FIELD = "_csrf"
_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("callcenter.portal", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)
_ENV.filters.update(when=when, mask=lambda v: mask_phone(v) if v else "",
                    status=lambda v: labels.label(labels.STATUS, v), rating=lambda v: labels.label(labels.RATING, v),
                    category=lambda v: labels.label(labels.CATEGORY, v))
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                                      "script-src 'self'; form-action 'self'; frame-ancestors 'none'"}


def client(request: web.Request) -> str:
    """The client's address as the limits count it (an IPv6 client by its /64)."""
    return address_key(request.app[TRUSTED_PROXIES].client_address(request))


def secure(request: web.Request) -> bool:
    return request.secure or request.app[SECURE_COOKIES]


async def render(request: web.Request, template: str, *, status: int = 200, errors: dict[str, str] | None = None,
                 **context: Any) -> web.Response:
    """A portal page with a form token (and the cookie it pairs with, when the browser has none)."""
    key = await request.app[PORTAL].store.secret()
    nonce = request.cookies.get(FORM_COOKIE, "")
    fresh = not (len(nonce) == 32 and nonce.isalnum())
    if fresh:
        nonce = secrets.token_hex(16)
    page = _ENV.get_template(template).render(
        csrf=sign(key, "form", nonce), errors=errors or {}, now=request.app[CLOCK](), categories=CATEGORIES,
        ratings=RATINGS, max_files=MAX_FILES, max_mb=MAX_FILE_BYTES >> 20, path=request.path, **context)
    response = web.Response(text=page, content_type="text/html", charset="utf-8", status=status, headers=HEADERS)
    if fresh:
        response.set_cookie(FORM_COOKIE, nonce, httponly=True, samesite="Strict", secure=secure(request),
                            path="/portal", max_age=12 * 3600)
    return response


async def check_form_token(request: web.Request, sent: object) -> None:
    """The form came from our page in this browser: its token signs the browser's cookie nonce."""
    key = await request.app[PORTAL].store.secret()
    nonce = request.cookies.get(FORM_COOKIE, "")
    if not nonce or not isinstance(sent, str) or not same(sent, sign(key, "form", nonce)):
        raise FormExpired(None, "页面已过期，请刷新页面后重新提交。")
