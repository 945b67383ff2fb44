"""An index on orders.updated_at: the start-up pass that replays recent order events (so no
confirmation SMS is lost) reads orders changed in the last hours, not the whole table.

Revision ID: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_updated_at", "orders", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_orders_updated_at", "orders")
