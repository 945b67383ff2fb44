"""WeCom (robots per unit, sender → enterprise, inbound messages once, the robot outbox) and
liaison officers (帮扶专员: assignments, contacts, notices).

Revision ID: 0023_wecom_liaison
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_wecom_liaison"
down_revision = "0022_mailbox"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "wecom_robots",
        sa.Column("target", sa.String(80), primary_key=True),
        sa.Column("webhook_key", sa.String(100), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "wecom_senders",
        sa.Column("userid", sa.String(64), primary_key=True),
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "wecom_inbound",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("msg_key", sa.String(120), nullable=False, unique=True),
        sa.Column("from_user", sa.String(64), nullable=False),
        sa.Column("msg_type", sa.String(16), nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("outcome", sa.String(24), nullable=True),
        sa.Column("order_number", sa.String(32), nullable=True),
    )
    op.create_table(
        "wecom_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(160), nullable=False, unique=True),
        sa.Column("order_number", sa.String(32), nullable=True),
        sa.Column("target", sa.String(80), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False),
        sa.Column("error_detail", sa.String(300), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
    )
    op.create_index("ix_wecom_outbox_order_number", "wecom_outbox", ["order_number"])
    op.create_index("ix_wecom_outbox_due_pending", "wecom_outbox", ["next_attempt_at", "id"],
                    postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
    op.create_table(
        "enterprise_liaisons",
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("assigned_at", TS, nullable=False),
        sa.Column("assigned_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_enterprise_liaisons_user_id", "enterprise_liaisons", ["user_id"])
    op.create_table(
        "liaison_contacts",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("mobile", sa.String(32), nullable=True),
        sa.Column("wecom_userid", sa.String(64), nullable=True),
    )
    op.create_table(
        "liaison_notices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(160), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("order_number", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("read_at", TS, nullable=True),
    )
    op.create_index("ix_liaison_notices_user", "liaison_notices", ["user_id", "id"])


def downgrade() -> None:
    for table in ("liaison_notices", "liaison_contacts", "enterprise_liaisons", "wecom_outbox", "wecom_inbound",
                  "wecom_senders", "wecom_robots"):
        op.drop_table(table)
