"""Initial schema: units, users, tokens, orders, their units and append-only events.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from callcenter.db.tables import Json, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY_SQLITE = """
CREATE TRIGGER order_events_no_{op} BEFORE {OP} ON order_events
BEGIN SELECT RAISE(ABORT, 'order_events is append-only'); END
"""
APPEND_ONLY_PG = """
CREATE FUNCTION order_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'order_events is append-only'; END $$;
CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE ON order_events
FOR EACH ROW EXECUTE FUNCTION order_events_append_only();
"""


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("short_name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("unit_code", sa.String(64), sa.ForeignKey("units.code"), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("revoked_at", UtcDateTime, nullable=True),
    )
    op.create_table(
        "order_counters",
        sa.Column("day", sa.String(8), primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "orders",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(32), nullable=False, index=True),
        sa.Column("channel", sa.String(32), nullable=False, index=True),
        sa.Column("category", sa.String(32), nullable=False, index=True),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("preset", sa.String(64), nullable=False),
        sa.Column("lead_unit", sa.String(64), nullable=True, index=True),
        sa.Column("enterprise_name", sa.String(200), nullable=False, index=True),
        sa.Column("enterprise_phone", sa.String(32), nullable=True, index=True),
        sa.Column("credit_code", sa.String(18), nullable=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False, index=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("card", sa.String(16), nullable=True, index=True),
        sa.Column("has_cards", sa.Boolean, nullable=False, index=True),
        sa.Column("snapshot", Json, nullable=False),
    )
    op.create_table(
        "order_units",
        sa.Column("order_number", sa.String(32), sa.ForeignKey("orders.number"), primary_key=True),
        sa.Column("unit_code", sa.String(64), primary_key=True, index=True),
        sa.Column("role", sa.String(8), nullable=False),
    )
    op.create_table(
        "order_events",
        sa.Column("order_number", sa.String(32), sa.ForeignKey("orders.number"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("data", Json, nullable=False),
    )
    # Audit events are append-only, enforced by the database itself.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_PG)
    else:
        for name in ("update", "delete"):
            op.execute(APPEND_ONLY_SQLITE.format(op=name, OP=name.upper()))


def downgrade() -> None:
    for table in ("order_events", "order_units", "orders", "order_counters", "api_tokens", "users", "units"):
        op.drop_table(table)
