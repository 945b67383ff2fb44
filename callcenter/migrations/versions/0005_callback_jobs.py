"""Durable satisfaction-callback (回访) jobs: one per order and closure cycle.

Revision ID: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "callback_jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("order_number", sa.String(32), nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("due_at", TIMESTAMP, nullable=False),
        sa.Column("last_outcome", sa.String(32), nullable=True),
        sa.Column("action_id", sa.String(64), nullable=True),
        sa.Column("channel_id", sa.String(64), nullable=True),
        sa.Column("dialled_at", TIMESTAMP, nullable=True),
        sa.Column("result", sa.String(32), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_callback_jobs_status", "callback_jobs", ["status"])
    op.create_index("ix_callback_jobs_due_at", "callback_jobs", ["due_at"])
    op.create_index("ix_callback_jobs_action_id", "callback_jobs", ["action_id"])
    op.create_index("ux_callback_jobs_order_cycle", "callback_jobs", ["order_number", "cycle"], unique=True)


def downgrade() -> None:
    op.drop_table("callback_jobs")
