"""SMS: the outbound outbox, delivery-status events and inbound messages.

Revision ID: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("idempotency_key", sa.String(120), nullable=False, unique=True),
        sa.Column("order_number", sa.String(32), nullable=True),
        sa.Column("template", sa.String(32), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("to_phone", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("provider", sa.String(32), nullable=True),
        sa.Column("provider_id", sa.String(64), nullable=True),
        sa.Column("error_id", sa.String(40), nullable=True),
        sa.Column("error_code", sa.String(40), nullable=True),
        sa.Column("error_detail", sa.String(300), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("final_at", TIMESTAMP, nullable=True),
    )
    for column in ("order_number", "to_phone", "status", "next_attempt_at", "provider_id"):
        op.create_index(f"ix_sms_outbox_{column}", "sms_outbox", [column])
    op.create_table(
        "sms_status_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("provider_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("error_code", sa.String(40), nullable=True),
        sa.Column("received_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_sms_status_events_provider_id", "sms_status_events", ["provider_id"])
    op.create_table(
        "sms_inbound",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("message_sid", sa.String(64), nullable=False, unique=True),
        sa.Column("sender", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(32), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("outcome", sa.String(24), nullable=True),
        sa.Column("order_number", sa.String(32), nullable=True),
        sa.Column("detail", sa.String(300), nullable=True),
    )
    op.create_index("ix_sms_inbound_sender", "sms_inbound", ["sender"])


def downgrade() -> None:
    op.drop_table("sms_inbound")
    op.drop_table("sms_status_events")
    op.drop_table("sms_outbox")
