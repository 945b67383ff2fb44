"""Inbound SMS retries: attempts with backoff, then a dead letter a supervisor sees and can send
back; and a note of what was removed from a message before it was stored (NUL characters).

Revision ID: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sms_inbound") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_error", sa.String(300), nullable=True))
        batch.add_column(sa.Column("note", sa.String(200), nullable=True))
    op.create_index("ix_sms_inbound_outcome", "sms_inbound", ["outcome"])


def downgrade() -> None:
    op.drop_index("ix_sms_inbound_outcome", "sms_inbound")
    with op.batch_alter_table("sms_inbound") as batch:
        for column in ("note", "last_error", "next_attempt_at", "attempts"):
            batch.drop_column(column)
