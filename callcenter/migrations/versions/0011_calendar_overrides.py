"""Working-calendar overrides edited in the UI, and an index for reports on event times.

Revision ID: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_overrides",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_order_events_at", "order_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_order_events_at", "order_events")
    op.drop_table("calendar_overrides")
