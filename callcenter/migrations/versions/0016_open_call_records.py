"""A partial index of the call records still open.

After every AMI login the service reads the calls stored as not ended (a restart of the app left
them so) and closes those Asterisk no longer has. Without the index that read walks every call
ever stored; with it, only the few open ones.

Revision ID: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    still_open = sa.text("ended_at IS NULL")
    op.create_index("ix_call_records_open", "call_records", ["started_at"],
                    postgresql_where=still_open, sqlite_where=still_open)


def downgrade() -> None:
    op.drop_index("ix_call_records_open", "call_records")
