"""Durable transcription queue and call transcripts (speech to draft orders).

Revision ID: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "transcription_jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("linkedid", sa.String(64), nullable=True),
        sa.Column("order_number", sa.String(32), nullable=True),
        sa.Column("caller", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_transcription_jobs_status", "transcription_jobs", ["status"])
    op.create_table(
        "call_transcripts",
        sa.Column("source", sa.String(300), primary_key=True),
        sa.Column("linkedid", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("words", JSON, nullable=False),
        sa.Column("duration_s", sa.Double, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_call_transcripts_linkedid", "call_transcripts", ["linkedid"])


def downgrade() -> None:
    op.drop_table("call_transcripts")
    op.drop_table("transcription_jobs")
