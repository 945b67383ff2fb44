"""Partial indexes for claiming due rows: only the waiting rows, in claim order.

Without them a claim of 10 due jobs read every job row (status index, then sort): about 1,000
rows per dial in the 10,000-callback benchmark. With them the claim reads the few rows it takes.

Revision ID: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    scheduled = sa.text("status = 'scheduled'")
    pending = sa.text("status = 'pending'")
    op.create_index("ix_callback_jobs_due_scheduled", "callback_jobs", ["due_at", "id"],
                    postgresql_where=scheduled, sqlite_where=scheduled)
    op.create_index("ix_sms_outbox_due_pending", "sms_outbox", ["next_attempt_at", "id"],
                    postgresql_where=pending, sqlite_where=pending)


def downgrade() -> None:
    op.drop_index("ix_sms_outbox_due_pending", "sms_outbox")
    op.drop_index("ix_callback_jobs_due_scheduled", "callback_jobs")
