"""The schema (SQLAlchemy Core). Alembic migrations in callcenter/migrations create it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB

SHANGHAI = ZoneInfo("Asia/Shanghai")


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC (naive UTC text in SQLite, timestamptz in PostgreSQL); returns
    aware Asia/Shanghai datetimes. Naive input is a bug and is rejected."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.utcoffset() is None:
            raise ValueError("naive datetime given to the database; use an aware datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(SHANGHAI)


Json = JSON().with_variant(JSONB(), "postgresql")
metadata = MetaData()

units = Table(
    "units", metadata,
    Column("code", String(64), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("short_name", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True, server_default=true()),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(32), nullable=False),
    Column("unit_code", String(64), ForeignKey("units.code"), nullable=True),
    Column("active", Boolean, nullable=False, default=True, server_default=true()),
    Column("created_at", UtcDateTime, nullable=False),
    Column("display_name", String(64), nullable=True),  # 姓名 shown beside the username (0018)
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("digest", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("label", String(100), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)

order_counters = Table(
    "order_counters", metadata,
    Column("day", String(8), primary_key=True),
    Column("last", Integer, nullable=False),
)

orders = Table(
    "orders", metadata,
    Column("number", String(32), primary_key=True),
    Column("status", String(32), nullable=False, index=True),
    Column("channel", String(32), nullable=False, index=True),
    Column("category", String(32), nullable=False, index=True),
    Column("urgency", String(16), nullable=False),
    Column("preset", String(64), nullable=False),
    Column("lead_unit", String(100), nullable=True, index=True),
    Column("co_units", Json, nullable=False),  # list of unit codes; order_units is what queries use
    Column("enterprise_name", String(200), nullable=False),
    Column("enterprise_phone", String(32), nullable=True),
    Column("credit_code", String(18), nullable=True),
    Column("subject", String(200), nullable=False),
    Column("content", Text, nullable=False),
    Column("received_at", UtcDateTime, nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False, index=True),  # start-up SMS reconcile (0012)
    Column("version", Integer, nullable=False),
    Column("card", String(16), nullable=True, index=True),  # highest card of the current cycle: red > yellow
    Column("has_cards", Boolean, nullable=False, default=False, index=True),  # any card in any cycle
    Column("snapshot", Json, nullable=False),
    # The paged lists (draft queue, boards) show one status newest first, in exactly this order (0018).
    Index("ix_orders_status_received", "status", "received_at", "number"),
    # The duplicate check reads a caller's newest orders: a bounded walk back, however long the history (0019).
    Index("ix_orders_phone_received", "enterprise_phone", "received_at", "number"),
    Index("ix_orders_name_received", "enterprise_name", "received_at", "number"),
)

# Lead and co-units, so "orders of unit X" is an indexed lookup (co-units see their orders too).
order_units = Table(
    "order_units", metadata,
    Column("order_number", String(32), ForeignKey("orders.number"), primary_key=True),
    Column("unit_code", String(100), primary_key=True, index=True),
    Column("role", String(8), nullable=False),  # lead | co
)

order_events = Table(
    "order_events", metadata,
    Column("order_number", String(32), ForeignKey("orders.number"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("type", String(32), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("from_status", String(32), nullable=True),
    Column("to_status", String(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("data", Json, nullable=False),
    Index("ix_order_events_at", "at"),  # reports find a period's events by time (migration 0011)
)

# "order_number may duplicate duplicate_number", written in the transaction that found it on the
# later order (insert-only): the earlier order shows the later one without a write of its own row
# (a flood of messages about one matter used to rewrite the same earlier orders on every create).
duplicate_links = Table(
    "duplicate_links", metadata,
    Column("order_number", String(32), primary_key=True),
    Column("duplicate_number", String(32), primary_key=True),
)

# One row per call (Asterisk Linkedid); `record` is the full call record as JSON, the other
# columns are what lists and reports filter on.
call_records = Table(
    "call_records", metadata,
    Column("linkedid", String(64), primary_key=True),
    Column("caller", String(64), nullable=True, index=True),
    Column("started_at", UtcDateTime, nullable=True, index=True),
    Column("ended_at", UtcDateTime, nullable=True),
    Column("disposition", String(16), nullable=True),
    Column("order_number", String(32), nullable=True, index=True),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("record", Json, nullable=False),
    # Every AMI login reads the calls still open, to close those Asterisk no longer has (migration 0016).
    Index("ix_call_records_open", "started_at", postgresql_where=text("ended_at IS NULL"),
          sqlite_where=text("ended_at IS NULL")),
)

# Recordings waiting for (or done with) transcription: a durable queue, so a restart loses none.
transcription_jobs = Table(
    "transcription_jobs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),  # message | agent-call
    Column("path", Text, nullable=False),
    Column("linkedid", String(64), nullable=True),
    Column("order_number", String(32), nullable=True),
    Column("caller", String(64), nullable=True),
    Column("status", String(16), nullable=False, index=True),  # queued | running | done | failed
    Column("attempts", Integer, nullable=False),
    Column("error", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    # Every node hears the same call end: one job per recording (migration 0017).
    Index("ux_transcription_jobs_kind_path", "kind", "path", unique=True),
)

# Transcripts with word timings, kept with the call they came from (recording or live stream).
call_transcripts = Table(
    "call_transcripts", metadata,
    Column("source", String(300), primary_key=True),  # recording path, or "audiosocket:<uuid>"
    Column("linkedid", String(64), nullable=True, index=True),
    Column("status", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("words", Json, nullable=False),
    Column("duration_s", Double, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
)

# The enterprise directory (企业名录), created by migration 0003; callers are matched against it.
enterprises = Table(
    "enterprises", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("credit_code", String(18), nullable=True, unique=True),
    Column("contact_person", String(100), nullable=True),
    Column("mobile", String(32), nullable=True),
    Column("address", String(300), nullable=True),
    Column("district", String(100), nullable=True, index=True),
    Column("updated_at", UtcDateTime, nullable=False),
)

# One satisfaction survey per order and cycle. status: scheduled | dialling | waiting_sms | done |
# unreachable | cancelled. due_at: the next dial (scheduled) or the SMS answer deadline (waiting_sms).
callback_jobs = Table(
    "callback_jobs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("order_number", String(32), nullable=False),
    Column("cycle", Integer, nullable=False),
    Column("phone", String(32), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),  # started dials, counted when claimed (before dialling)
    Column("due_at", UtcDateTime, nullable=False, index=True),
    Column("last_outcome", String(32), nullable=True),  # an Outcome value, or "answered" while surveying
    Column("action_id", String(64), nullable=True, index=True),  # AMI ActionID of the current dial
    Column("channel_id", String(64), nullable=True),
    Column("dialled_at", UtcDateTime, nullable=True),
    Column("result", String(32), nullable=True),  # the Rating value once done
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ux_callback_jobs_order_cycle", "order_number", "cycle", unique=True),
    # Claims read only the waiting rows, in claim order (migration 0008).
    Index("ix_callback_jobs_due_scheduled", "due_at", "id", postgresql_where=text("status = 'scheduled'"),
          sqlite_where=text("status = 'scheduled'")),
)

# Outbound SMS (migration 0006). One row per logical message: `idempotency_key` (e.g.
# "20261123-0001:e7:order_accepted") is unique, so an order event yields at most one message
# however often the trigger runs. `status`: pending → sending → sent → delivered | undelivered |
# failed, or rejected (the provider refused it), unknown (the provider may or may not have sent
# it: never retried), cancelled.
sms_outbox = Table(
    "sms_outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(120), nullable=False, unique=True),
    Column("order_number", String(32), nullable=True, index=True),
    Column("template", String(32), nullable=False),
    Column("params", Json, nullable=False),
    Column("to_phone", String(32), nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False, index=True),
    Column("provider", String(32), nullable=True),
    Column("provider_id", String(64), nullable=True, index=True),
    Column("error_id", String(40), nullable=True),
    Column("error_code", String(40), nullable=True),
    Column("error_detail", String(300), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    Column("final_at", UtcDateTime, nullable=True),
    Index("ix_sms_outbox_due_pending", "next_attempt_at", "id", postgresql_where=text("status = 'pending'"),
          sqlite_where=text("status = 'pending'")),
)

# Every delivery-status callback as received (the outbox row keeps the latest meaningful one).
sms_status_events = Table(
    "sms_status_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("provider_id", String(64), nullable=False, index=True),
    Column("status", String(24), nullable=False),
    Column("error_code", String(40), nullable=True),
    Column("received_at", UtcDateTime, nullable=False),
)

# Inbound SMS. `message_sid` is unique: a webhook delivered twice is stored (and acted on) once.
# `outcome`: survey (a rating recorded), supplement (appended to an open order), draft (a new
# draft order), stray_rating (a bare 1/2/3 with no survey waiting), ignored (empty body).
sms_inbound = Table(
    "sms_inbound", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_sid", String(64), nullable=False, unique=True),
    Column("sender", String(32), nullable=False, index=True),
    Column("recipient", String(32), nullable=False),
    Column("body", Text, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("outcome", String(24), nullable=True),
    Column("order_number", String(32), nullable=True),
    Column("detail", String(300), nullable=True),
    # Retries (migration 0015): each routing attempt counts; a failed one is tried again at
    # next_attempt_at (growing delays), and after the last the outcome is "dead_letter" with
    # last_error, until a supervisor sends it back. A "processing" row whose next_attempt_at passed
    # was claimed by a node that died. `note`: what was removed from the message before storing it.
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UtcDateTime, nullable=True),
    Column("last_error", String(300), nullable=True),
    Column("note", String(200), nullable=True),
    Index("ix_sms_inbound_outcome", "outcome"),
)

# Received faxes (migration 0007), one per call (Linkedid). `status`: received (waiting for OCR),
# drafted, failed (the transmission failed: recorded and reported, never drafted), error (the
# file could not be read or OCR failed after its attempts; an agent looks at the image).
fax_receipts = Table(
    "fax_receipts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("linkedid", String(64), nullable=False, unique=True),
    Column("caller", String(64), nullable=True),
    Column("status", String(16), nullable=False, index=True),
    Column("pages", Integer, nullable=False),
    Column("fax_status", String(32), nullable=True),  # Asterisk's FAXOPT(status), e.g. SUCCESS/FAILED
    Column("error", String(300), nullable=True),
    Column("file", String(300), nullable=True),  # as Asterisk named it
    Column("stored", String(300), nullable=True),  # before blobs (0013): the folder of our copies
    Column("documents", Json, nullable=True),  # blob ids: {"pdf": id, "tiff": id, "pages": [id, …]}
    Column("text", Text, nullable=True),
    Column("order_number", String(32), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Views of data that is masked by default (migration 0010): one row per unmasked phone number shown.
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("action", String(40), nullable=False),
    Column("subject", String(64), nullable=False, index=True),  # e.g. the order number
    Column("detail", String(300), nullable=False),
)

# Knowledge-base articles (知识库, migration 0009). status: published | draft | archived (only published
# ones are searched); keywords: JSON list of synonyms/spoken forms; version: optimistic concurrency.
kb_articles = Table(
    "kb_articles", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("category", String(32), nullable=False, index=True),
    Column("keywords", Json, nullable=False),
    Column("unit", String(64), nullable=True),
    Column("status", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(64), nullable=False),
)

# Working-calendar overrides edited in the UI (migration 0011), on top of the official data and
# the deployment's override file: kind "holiday" (a day off) or "workday" (调休, a working weekend).
calendar_overrides = Table(
    "calendar_overrides", metadata,
    Column("day", Date, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(100), nullable=False),
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Files the server stored itself (migration 0013): recordings, faxes, uploads. Orders name them
# by `id` (an opaque random token); `area` + `location` say where the bytes are and never leave
# the server. `order_number`: the order that owns the file (NULL for an upload not yet attached).
# `size`/`sha256` are NULL until a recording Asterisk is still writing has been seen whole.
blobs = Table(
    "blobs", metadata,
    Column("id", String(40), primary_key=True),
    Column("order_number", String(32), nullable=True, index=True),
    Column("kind", String(16), nullable=False),  # recording | fax | fax-page | upload
    Column("content_type", String(100), nullable=False),
    Column("name", String(200), nullable=False),  # the name shown and offered on download
    Column("size", BigInteger, nullable=True),
    Column("sha256", String(64), nullable=True),
    Column("area", String(16), nullable=False),  # store | recordings | fax | rejected
    Column("location", String(300), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_blobs_uploader_unattached", "created_by", "created_at", postgresql_where=text("order_number IS NULL"),
          sqlite_where=text("order_number IS NULL")),
)

# Login throttling (migration 0014): failed logins per account ("account", username) and per client
# address ("address", the IPv4 address or IPv6 /64), shared by every worker and node. `failures`
# also counts attempts being verified right now, so concurrent guesses cannot overshoot the limit.
login_throttle = Table(
    "login_throttle", metadata,
    Column("kind", String(16), primary_key=True),
    Column("key", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),  # verified wrong passwords
    Column("last_failure_at", UtcDateTime, nullable=True, index=True),
    Column("locked_until", UtcDateTime, nullable=True),
    # Attempts reserved and not yet verified (migration 0020): they count towards the lock, so a
    # burst of guesses cannot pass it, but not as failures, so agents behind one NAT address
    # logging in together are not delayed. `pending_at`: the last reservation; a count older than
    # a minute is from a process that died mid-verification and is ignored.
    Column("pending", Integer, nullable=False, server_default="0"),
    Column("pending_at", UtcDateTime, nullable=True),
)

# One row (id 1, migration 0014). `generation` is bumped in the transaction of every revocation
# (logout, a revoked token, a disabled user), so each worker and node trusts a cached session only
# while it is unchanged. `login_csrf_key` signs the login form's CSRF cookie (there is no session yet).
auth_state = Table(
    "auth_state", metadata,
    Column("id", Integer, primary_key=True),
    Column("generation", BigInteger, nullable=False),
    Column("login_csrf_key", String(64), nullable=False),
)
