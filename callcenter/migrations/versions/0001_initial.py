"""Initial schema: units, users, tokens, daily counters, orders, their units and
append-only events. Written by hand; it must match callcenter/db/tables.py
(tests/test_storage.py compares the two). Self-contained on purpose: later
edits to tables.py must not change what this revision creates.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# What tables.UtcDateTime and tables.Json are stored as.
TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

APPEND_ONLY_SQLITE = """
CREATE TRIGGER order_events_no_{op} BEFORE {OP} ON order_events
BEGIN SELECT RAISE(ABORT, 'order_events is append-only'); END
"""
APPEND_ONLY_PG_FUNCTION = """
CREATE FUNCTION order_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'order_events is append-only'; END $$
"""
APPEND_ONLY_PG_TRIGGER = """
CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE ON order_events
FOR EACH ROW EXECUTE FUNCTION order_events_append_only()
"""


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("short_name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("unit_code", sa.String(64), sa.ForeignKey("units.code"), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP, nullable=True),
    )
    op.create_table(
        "order_counters",
        sa.Column("day", sa.String(8), primary_key=True),
        sa.Column("last", sa.Integer, nullable=False),
    )
    op.create_table(
        "orders",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("preset", sa.String(64), nullable=False),
        sa.Column("lead_unit", sa.String(100), nullable=True),
        sa.Column("co_units", JSON, nullable=False),
        sa.Column("enterprise_name", sa.String(200), nullable=False),
        sa.Column("enterprise_phone", sa.String(32), nullable=True),
        sa.Column("credit_code", sa.String(18), nullable=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("card", sa.String(16), nullable=True),
        sa.Column("has_cards", sa.Boolean, nullable=False),
        sa.Column("snapshot", JSON, nullable=False),
    )
    for column in ("status", "channel", "category", "lead_unit", "enterprise_name", "enterprise_phone",
                   "received_at", "card", "has_cards"):
        op.create_index(f"ix_orders_{column}", "orders", [column])
    op.create_table(
        "order_units",
        sa.Column("order_number", sa.String(32), sa.ForeignKey("orders.number"), primary_key=True),
        sa.Column("unit_code", sa.String(100), primary_key=True),
        sa.Column("role", sa.String(8), nullable=False),
    )
    op.create_index("ix_order_units_unit_code", "order_units", ["unit_code"])
    op.create_table(
        "order_events",
        sa.Column("order_number", sa.String(32), sa.ForeignKey("orders.number"), primary_key=True),
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("data", JSON, nullable=False),
    )
    # The audit trail is append-only, enforced by the database itself.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_PG_FUNCTION)
        op.execute(APPEND_ONLY_PG_TRIGGER)
    else:
        for name in ("update", "delete"):
            op.execute(APPEND_ONLY_SQLITE.format(op=name, OP=name.upper()))


def downgrade() -> None:
    for table in ("order_events", "order_units", "orders", "order_counters", "api_tokens", "users", "units"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS order_events_append_only()")
