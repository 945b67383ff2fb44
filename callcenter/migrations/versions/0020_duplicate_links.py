"""Possible duplicates found on a later order are linked back to the earlier ones in their own table.

Before, every create that found possible duplicates then rewrote each earlier order (read it,
append a flag-duplicates event, save it with its own commit): up to five extra committed writes
per create, all on the same few orders when one caller sends many messages, which made those
creates queue on each other. Now the later order's own transaction inserts one row per earlier
order, and an order's reads add the numbers linked to it. Existing flag-backs stay in the
snapshots and histories they were written to.

The login throttle counts attempts still being verified apart from verified failures
(login_throttle.pending, pending_at): both count towards a lock, only failures delay the next
attempt. Before, fifty agents behind one NAT address logging in at once counted as fifty
failures of that address until each was verified, and the last ones were refused.

Revision ID: 0020_duplicate_links
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_duplicate_links"
down_revision = "0019_dup_check_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "duplicate_links",
        sa.Column("order_number", sa.String(32), primary_key=True),
        sa.Column("duplicate_number", sa.String(32), primary_key=True),
    )
    op.add_column("login_throttle", sa.Column("pending", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("login_throttle", sa.Column("pending_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("login_throttle", "pending_at")
    op.drop_column("login_throttle", "pending")
    op.drop_table("duplicate_links")
