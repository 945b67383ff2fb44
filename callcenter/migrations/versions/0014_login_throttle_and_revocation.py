"""Login throttling shared by every worker and node, and the session revocation generation (with
the login form's CSRF key): see callcenter/db/tables.py.

Revision ID: 0014
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_login_throttle_last_failure_at", "login_throttle", ["last_failure_at"])
    state = op.create_table(
        "auth_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("generation", sa.BigInteger, nullable=False),
        sa.Column("login_csrf_key", sa.String(64), nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "generation": 0, "login_csrf_key": secrets.token_hex(32)}])


def downgrade() -> None:
    op.drop_table("auth_state")
    op.drop_table("login_throttle")
