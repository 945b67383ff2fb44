"""Validation of a new order's fields (from an agent, a draft source or an import)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from .attachments import attachment_ids
from .credit_code import normalize_credit_code
from .errors import ValidationError
from .model import Category, Channel, CityTransfer, Enterprise, Urgency

E = TypeVar("E", bound=StrEnum)

# Clocks of different machines drift; a receipt time slightly ahead of ours is not an error.
_FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_TEXT = 20_000
# The date-times any input may name: wide for imports and "as of" queries, far from the overflow.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class NewOrder:
    channel: Channel
    category: Category
    enterprise: Enterprise
    subject: str
    content: str
    received_at: datetime
    urgency: Urgency = Urgency.NORMAL
    attachments: tuple[str, ...] = ()  # ids of stored files (worksheet.attachments)
    draft: bool = False
    preset: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    city: CityTransfer | None = None  # only for a transfer from the city platform (Channel.CITY_PLATFORM)


def parse_enum(enum: type[E], value: object, field_name: str) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise ValidationError(f"{field_name} must be one of: {allowed}; got {value!r}") from None


def text(value: object, field_name: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"{field_name} must be a string")
    value = value.strip()
    if required and not value:
        raise ValidationError(f"{field_name} is required")
    if len(value) > limit:
        raise ValidationError(f"{field_name} is longer than {limit} characters")
    return value


def aware(value: object, field_name: str) -> datetime:
    """An aware date-time within [EARLIEST, LATEST). The years are checked before any arithmetic:
    0001-01-01T00:00+14:00 or 9999-12-31T23:59-12:00 overflow as soon as they are compared."""
    if not isinstance(value, datetime):
        raise ValidationError(f"{field_name} must be an ISO 8601 date-time")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(f"{field_name} must carry a time zone offset, e.g. 2026-11-23T09:30:00+08:00")
    if not EARLIEST.year - 1 <= value.year <= LATEST.year or not EARLIEST <= value < LATEST:
        raise ValidationError(f"{field_name} must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}")
    return value


def phone_number(value: object) -> str | None:
    """An enterprise's phone as stored, or None when there is none; ValidationError for anything else."""
    phone = text(value, "enterprise.phone", required=False, limit=32) or None
    if phone and not all(ch.isdigit() or ch in "+-() " for ch in phone):
        raise ValidationError("enterprise.phone may contain only digits, spaces, '+', '-' and parentheses")
    if phone:
        # Stored compact ("138-0013-8000" → "13800138000"), so lookups by number (duplicates, an
        # SMS sender's open order, the callback's dial string) compare like with like.
        phone = "".join(ch for ch in phone if ch.isdigit() or ch == "+") or None
    return phone


def enterprise(data: Enterprise) -> Enterprise:
    code = normalize_credit_code(data.credit_code) if data.credit_code else None
    return Enterprise(
        name=text(data.name, "enterprise.name", limit=200),
        credit_code=code,
        contact_person=text(data.contact_person, "enterprise.contact_person", required=False, limit=100) or None,
        phone=phone_number(data.phone),
    )


def validate(spec: NewOrder, now: datetime) -> NewOrder:
    """Return the spec normalised, or raise ValidationError naming the field.

    Drafts may be empty (a caller who never spoke yields an empty draft); the
    agent fills them in before confirming.
    """
    received = aware(spec.received_at, "received_at")
    if received > now + _FUTURE_TOLERANCE:
        raise ValidationError("received_at lies in the future")
    ent = spec.enterprise
    if spec.draft and not ent.name.strip():
        # Still the phone rules: a draft holding "anonymous" could never be amended or confirmed.
        ent = Enterprise("", None, ent.contact_person, phone_number(ent.phone))
    else:
        ent = enterprise(ent)
    return NewOrder(
        channel=spec.channel, category=spec.category, urgency=spec.urgency, enterprise=ent,
        subject=text(spec.subject, "subject", required=not spec.draft, limit=200),
        content=text(spec.content, "content", required=not spec.draft),
        received_at=received, attachments=attachment_ids(spec.attachments),
        draft=spec.draft, preset=spec.preset, extra=spec.extra, city=city_transfer(spec, received),
    )


def city_transfer(spec: NewOrder, received: datetime) -> CityTransfer | None:
    """The city's number and deadline, for a city transfer only; the deadline must follow the receipt."""
    if spec.city is None:
        return None
    if spec.channel != Channel.CITY_PLATFORM or spec.draft:
        raise ValidationError("only a registered order of the city_platform channel carries a city transfer")
    number = text(spec.city.number, "city.number", limit=64)
    due = aware(spec.city.due, "city.due") if spec.city.due is not None else None
    if due is not None and due <= received:
        raise ValidationError("city.due must lie after received_at")
    return CityTransfer(number, due)
