"""Users get a display name (姓名); the paged order lists get a (status, received_at, number) index.

The draft queue and the boards ask for one status newest first (received_at, then number), a page
at a time: the index holds exactly that order, so a page is an index range scan instead of reading
every order of the status and sorting them. Measured on PostgreSQL with 200,000 orders (25,000
drafts): page 1201 of the draft queue 50 ms → 12 ms; the first page stays at 0.1 ms.

Revision ID: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("display_name", sa.String(64), nullable=True))
    op.create_index("ix_orders_status_received", "orders", ["status", "received_at", "number"])


def downgrade() -> None:
    op.drop_index("ix_orders_status_received", "orders")
    op.drop_column("users", "display_name")
