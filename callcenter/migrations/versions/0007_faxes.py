"""Received faxes: one row per fax call, from the call record to the OCR'd draft.

Revision ID: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "fax_receipts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("linkedid", sa.String(64), nullable=False, unique=True),
        sa.Column("caller", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("fax_status", sa.String(32), nullable=True),
        sa.Column("error", sa.String(300), nullable=True),
        sa.Column("file", sa.String(300), nullable=True),
        sa.Column("stored", sa.String(300), nullable=True),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("order_number", sa.String(32), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_fax_receipts_status", "fax_receipts", ["status"])


def downgrade() -> None:
    op.drop_table("fax_receipts")
