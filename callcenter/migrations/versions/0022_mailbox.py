"""The service mailbox: inbound mails by (mailbox, UIDVALIDITY, UID), processed once, and the
outbox of replies with their Message-IDs (callcenter/db/mailbox_tables.py).

Revision ID: 0022_mailbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_mailbox"
down_revision = "0021_portal"
branch_labels = None
depends_on = None

_OPEN = "status IN ('pending', 'processing')"


def upgrade() -> None:
    op.create_table(
        "mail_inbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("mailbox", sa.String(200), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger, nullable=False),
        sa.Column("uid", sa.BigInteger, nullable=False),
        sa.Column("message_id", sa.String(300), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=True),
        sa.Column("order_number", sa.String(32), nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(300), nullable=True),
    )
    op.create_index("ux_mail_inbox_uid", "mail_inbox", ["mailbox", "uidvalidity", "uid"], unique=True)
    op.create_index("ix_mail_inbox_message_id", "mail_inbox", ["message_id"])
    op.create_index("ix_mail_inbox_open", "mail_inbox", ["mailbox", "uidvalidity", "uid"],
                    postgresql_where=sa.text(_OPEN), sqlite_where=sa.text(_OPEN))
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(120), nullable=False, unique=True),
        sa.Column("order_number", sa.String(32), nullable=True),
        sa.Column("template", sa.String(32), nullable=False),
        sa.Column("to_addr", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("message_id", sa.String(300), nullable=False),
        sa.Column("in_reply_to", sa.String(300), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_mail_outbox_order_number", "mail_outbox", ["order_number"])
    op.create_index("ix_mail_outbox_message_id", "mail_outbox", ["message_id"])
    op.create_index("ix_mail_outbox_due_pending", "mail_outbox", ["next_attempt_at", "id"],
                    postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_table("mail_outbox")
    op.drop_table("mail_inbox")
