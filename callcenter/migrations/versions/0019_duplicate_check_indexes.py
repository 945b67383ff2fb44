"""The duplicate check's indexes: (enterprise_phone | enterprise_name, received_at, number).

Every new order looks up the same caller's (phone) or enterprise's (name) open orders of the last
30 days, newest first, at most 100. With one-column indexes that read every earlier order of the
caller and sorted them, so a caller with 10,000 orders made each create read 10,000 rows; with the
received time in the index it is a backward range scan that stops after 100 matches. They replace
the one-column indexes, of which they are prefixes.

Revision ID: 0019_dup_check_indexes
"""

from __future__ import annotations

from alembic import op

revision = "0019_dup_check_indexes"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_phone_received", "orders", ["enterprise_phone", "received_at", "number"])
    op.create_index("ix_orders_name_received", "orders", ["enterprise_name", "received_at", "number"])
    op.drop_index("ix_orders_enterprise_phone", "orders")
    op.drop_index("ix_orders_enterprise_name", "orders")


def downgrade() -> None:
    op.create_index("ix_orders_enterprise_name", "orders", ["enterprise_name"])
    op.create_index("ix_orders_enterprise_phone", "orders", ["enterprise_phone"])
    op.drop_index("ix_orders_name_received", "orders")
    op.drop_index("ix_orders_phone_received", "orders")
