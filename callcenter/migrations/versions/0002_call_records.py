"""Call records built from AMI events, one per Asterisk Linkedid.

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "call_records",
        sa.Column("linkedid", sa.String(64), primary_key=True),
        sa.Column("caller", sa.String(64), nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=True),
        sa.Column("ended_at", TIMESTAMP, nullable=True),
        sa.Column("disposition", sa.String(16), nullable=True),
        sa.Column("order_number", sa.String(32), nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("record", JSON, nullable=False),
    )
    for column in ("caller", "started_at", "order_number"):
        op.create_index(f"ix_call_records_{column}", "call_records", [column])


def downgrade() -> None:
    op.drop_table("call_records")
