"""The enterprise directory (企业名录) used to recognise callers' enterprises.

Revision ID: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("credit_code", sa.String(18), nullable=True, unique=True),
        sa.Column("contact_person", sa.String(100), nullable=True),
        sa.Column("mobile", sa.String(32), nullable=True),
        sa.Column("address", sa.String(300), nullable=True),
        sa.Column("district", sa.String(100), nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_enterprises_district", "enterprises", ["district"])


def downgrade() -> None:
    op.drop_table("enterprises")
