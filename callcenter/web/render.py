"""Templates: one Jinja2 environment (autoescaped), the filters the pages share, `render()`.

Everything a template shows goes through autoescaping, so order content such as "<script>" is
text on the page; the one place that builds HTML by hand (`highlight`) escapes every piece.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from callcenter.keys import CLOCK, DEMO
from callcenter.sms.privacy import mask_phone

from . import labels
from .session import WEB_ACTOR, WEB_TOKEN, WEB_UNIT_NAME, csrf_token

SHANGHAI = ZoneInfo("Asia/Shanghai")
SOON_S = 24 * 3600  # a deadline within a day is shown amber

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("callcenter.web", "templates"),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,  # a typo in a template fails the page (and its test), not silently
    trim_blocks=True, lstrip_blocks=True,
)


def when(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(SHANGHAI).strftime(fmt)


def deadline_state(due: datetime | str | None, now: datetime) -> str:
    """"overdue", "soon" (within a day) or "ok": the colour of a deadline by the time left."""
    if due is None or due == "":
        return "none"
    moment = datetime.fromisoformat(due) if isinstance(due, str) else due
    left = (moment - now).total_seconds()
    return "overdue" if left < 0 else "soon" if left < SOON_S else "ok"


def filesize(size: int) -> str:
    if size < 1024:
        return f"{size} 字节"
    return f"{size / 1024:.0f} KB" if size < 1 << 20 else f"{size / (1 << 20):.1f} MB"


# Fields found at one place in the text; the subject and summary are drawn from all of it.
HIGHLIGHTED = ("enterprise_name", "contact_phone", "contact_person", "order_number", "category", "urgency", "suggested_unit")


def highlight(text: str, fields: dict[str, Any] | None) -> Markup:
    """``text`` with each extracted field's source span marked (<mark data-field=...>)."""
    spans = []
    for name, found in (fields or {}).items():
        if name not in HIGHLIGHTED:
            continue
        span = found.get("span") if isinstance(found, dict) else None
        if span and isinstance(span.get("start"), int) and isinstance(span.get("end"), int):
            spans.append((span["start"], span["end"], name, found.get("confidence", 0.0)))
    out, at = [], 0
    for start, end, name, confidence in sorted(spans):
        if start < at or end > len(text) or start >= end:
            continue  # overlapping or stale spans are skipped rather than garbling the text
        out.append(escape(text[at:start]))
        tip = f"{labels.label(labels.FIELD, name)} · 置信度 {confidence:.0%}"
        out.append(Markup('<mark data-field="{}" title="{}">{}</mark>').format(name, tip, text[start:end]))
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)


_ENV.filters.update(when=when, mask=lambda v: mask_phone(v) if v else "", status=lambda v: labels.label(labels.STATUS, v),
                    category=lambda v: labels.label(labels.CATEGORY, v), channel=lambda v: labels.label(labels.CHANNEL, v),
                    urgency=lambda v: labels.label(labels.URGENCY, v), rating=lambda v: labels.label(labels.RATING, v),
                    role=lambda v: labels.label(labels.ROLE, v), action=lambda v: labels.label(labels.ACTION, v),
                    clock=lambda v: labels.label(labels.CLOCK, v), field=lambda v: labels.label(labels.FIELD, v),
                    percent=lambda v: "—" if v is None else f"{v:.1%}", filesize=filesize,
                    disposition=lambda v: labels.label(labels.CALL_DISPOSITION, v),
                    call_end=lambda v: labels.label(labels.CALL_END, v),
                    sms_delivery=lambda v: labels.label(labels.SMS_DELIVERY, v),
                    fax_receipt=lambda v: labels.label(labels.FAX_RECEIPT, v),
                    callback_outcome=lambda v: labels.label(labels.CALLBACK_OUTCOME, v),
                    kind=lambda v: labels.label(labels.HANDLING_KIND, v), agent=labels.agent)
_ENV.globals.update(highlight=highlight, deadline_state=deadline_state)


def render(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    actor = request.get(WEB_ACTOR)
    token = request.get(WEB_TOKEN)
    page = _ENV.get_template(template).render(
        actor=actor, csrf=csrf_token(token) if token else "", now=request.app[CLOCK](), path=request.path,
        demo=request.app.get(DEMO), unit_name=request.get(WEB_UNIT_NAME, ""), **context)
    return web.Response(text=page, content_type="text/html", charset="utf-8", status=status,
                        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
                                 "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                                            "style-src 'self'; script-src 'self'; "
                                                            "frame-ancestors 'none'"})
