"""Possible duplicates found on a later order are linked back to the earlier ones in their own table.

Before, every create that found possible duplicates then rewrote each earlier order (read it,
append a flag-duplicates event, save it with its own commit): up to five extra committed writes
per create, all on the same few orders when one caller sends many messages, which made those
creates queue on each other. Now the later order's own transaction inserts one row per earlier
order, and an order's reads add the numbers linked to it. Existing flag-backs stay in the
snapshots and histories they were written to.

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


def downgrade() -> None:
    op.drop_table("duplicate_links")
