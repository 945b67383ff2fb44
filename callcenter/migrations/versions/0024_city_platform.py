"""The city 12345 platform: transfers received (idempotency by the city's order id) and the outbox of
status updates sent back to the city.

Revision ID: 0024_city_platform
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0024_city_platform"
down_revision = "0023_wecom_liaison"
branch_labels = None
depends_on = None

UtcDateTime = sa.DateTime(timezone=True)
Json = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "city_transfers",
        sa.Column("city_order_id", sa.String(64), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("order_number", sa.String(32), nullable=True),
        sa.Column("claimed_at", UtcDateTime, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_index("ix_city_transfers_order_number", "city_transfers", ["order_number"])
    op.create_table(
        "city_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(80), nullable=False, unique=True),
        sa.Column("order_number", sa.String(32), nullable=False),
        sa.Column("city_order_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", Json, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=False),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("delivered_at", UtcDateTime, nullable=True),
    )
    op.create_index("ix_city_outbox_order_number", "city_outbox", ["order_number"])
    op.create_index("ix_city_outbox_city_order_id", "city_outbox", ["city_order_id"])
    op.create_index("ix_city_outbox_status", "city_outbox", ["status"])
    op.create_index("ix_city_outbox_due", "city_outbox", ["status", "next_attempt_at", "id"])


def downgrade() -> None:
    op.drop_table("city_outbox")
    op.drop_table("city_transfers")
