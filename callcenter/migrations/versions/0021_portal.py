"""The enterprise portal: verification codes (hashed), abuse-limit hits and the signing key; see
callcenter/db/portal_tables.py.

Revision ID: 0021_portal
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0021_portal"
down_revision = "0020_duplicate_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_codes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(48), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_portal_codes_phone_purpose", "portal_codes", ["phone", "purpose", "created_at"])
    op.create_table(
        "portal_hits",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_portal_hits_kind_key_at", "portal_hits", ["kind", "key", "at"])
    op.create_index("ix_portal_hits_at", "portal_hits", ["at"])
    state = op.create_table(
        "portal_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("secret", sa.String(64), nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "secret": secrets.token_hex(32)}])


def downgrade() -> None:
    op.drop_table("portal_state")
    op.drop_table("portal_hits")
    op.drop_table("portal_codes")
