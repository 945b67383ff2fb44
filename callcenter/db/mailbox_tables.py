"""The service mailbox's tables (callcenter.mailbox), on the shared ``metadata``.

``mail_inbox`` holds one row per mail seen in the IMAP folder, keyed by (mailbox, UIDVALIDITY,
UID): the unique index is what makes a mail processed once across restarts and nodes.
``mail_outbox`` holds the replies we send, each with the Message-ID we gave it, so an
enterprise's answer to it (In-Reply-To/References) threads back to the order.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text, text

from .tables import UtcDateTime, metadata

mail_inbox = Table(
    "mail_inbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mailbox", String(200), nullable=False),
    Column("uidvalidity", BigInteger, nullable=False),
    Column("uid", BigInteger, nullable=False),
    Column("message_id", String(300), nullable=True),
    # pending → processing (claimed by a node) → done | ignored | duplicate | dead
    Column("status", String(16), nullable=False),
    Column("outcome", String(24), nullable=True),  # draft, supplement, auto_reply, bounce, …
    Column("order_number", String(32), nullable=True),
    Column("claimed_by", String(64), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),  # the draft's received time, kept across retries
    Column("updated_at", UtcDateTime, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", String(300), nullable=True),
    Index("ux_mail_inbox_uid", "mailbox", "uidvalidity", "uid", unique=True),
    Index("ix_mail_inbox_message_id", "message_id"),
    Index("ix_mail_inbox_open", "mailbox", "uidvalidity", "uid", postgresql_where=text("status IN ('pending', 'processing')"),
          sqlite_where=text("status IN ('pending', 'processing')")),
)

mail_outbox = Table(
    "mail_outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(120), nullable=False, unique=True),
    Column("order_number", String(32), nullable=True, index=True),
    Column("template", String(32), nullable=False),
    Column("to_addr", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("message_id", String(300), nullable=False, index=True),
    Column("in_reply_to", String(300), nullable=True),
    Column("status", String(16), nullable=False),  # pending → sending → sent | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", String(300), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    Index("ix_mail_outbox_due_pending", "next_attempt_at", "id", postgresql_where=text("status = 'pending'"),
          sqlite_where=text("status = 'pending'")),
)
