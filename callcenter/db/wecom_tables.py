"""Tables of the WeCom channel and of liaison officers (migration 0023), on the shared metadata."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, text

from .tables import Json, UtcDateTime, metadata

# A group robot's webhook key per target: "unit:<code>" (a unit's group) or "liaison" (the group
# where liaison officers are @-mentioned). The key is a secret: pages and logs show it masked.
wecom_robots = Table(
    "wecom_robots", metadata,
    Column("target", String(80), primary_key=True),
    Column("webhook_key", String(100), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(64), nullable=False),
)

# Which enterprise a WeCom member of the 直通 group speaks for (admins keep this up to date).
wecom_senders = Table(
    "wecom_senders", metadata,
    Column("userid", String(64), primary_key=True),
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Every callback message once: `msg_key` is WeCom's MsgId (or a digest for events without one),
# so a callback WeCom repeats (it does, when we answer slowly) drafts nothing twice.
wecom_inbound = Table(
    "wecom_inbound", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("msg_key", String(120), nullable=False, unique=True),
    Column("from_user", String(64), nullable=False),
    Column("msg_type", String(16), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("outcome", String(24), nullable=True),  # draft | ignored | failed
    Column("order_number", String(32), nullable=True),
)

# Robot messages to send, once per idempotency key; status: pending → sending → sent | failed.
wecom_outbox = Table(
    "wecom_outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(160), nullable=False, unique=True),
    Column("order_number", String(32), nullable=True, index=True),
    Column("target", String(80), nullable=False),
    Column("body", Json, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("error_detail", String(300), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    Index("ix_wecom_outbox_due_pending", "next_attempt_at", "id", postgresql_where=text("status = 'pending'"),
          sqlite_where=text("status = 'pending'")),
)

# 帮扶专员: one liaison user per enterprise, and how to reach a liaison beyond their page.
enterprise_liaisons = Table(
    "enterprise_liaisons", metadata,
    Column("enterprise_id", Integer, ForeignKey("enterprises.id"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("assigned_at", UtcDateTime, nullable=False),
    Column("assigned_by", String(64), nullable=False),
)
liaison_contacts = Table(
    "liaison_contacts", metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("mobile", String(32), nullable=True),
    Column("wecom_userid", String(64), nullable=True),
)
# What a liaison is told about their enterprises' orders (their page), once per event.
liaison_notices = Table(
    "liaison_notices", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(160), nullable=False, unique=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("order_number", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("read_at", UtcDateTime, nullable=True),
    Index("ix_liaison_notices_user", "user_id", "id"),
)
