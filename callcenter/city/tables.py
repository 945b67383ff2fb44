"""The city interface's tables (migration 0024), on the shared schema's MetaData."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from callcenter.db.tables import Json, UtcDateTime, metadata

# One row per city order id ever transferred: the idempotency record. A request claims the id
# (order_number NULL) before creating the order and fills order_number after; `digest` is the
# SHA-256 of the canonical JSON body, so a retry with other content is told apart from a true retry.
city_transfers = Table(
    "city_transfers", metadata,
    Column("city_order_id", String(64), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("order_number", String(32), nullable=True, index=True),
    Column("claimed_at", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# Status updates for the city (accepted, replied, closed, returned), one per order event and kind:
# `event_id` is unique (the city de-duplicates on it too). status: pending → sending → delivered, or
# failed (refused by the city, or attempts ran out). A `sending` row whose lease ran out (a node died
# mid-send) is sent again: delivery is at least once, the event id makes it once at the city.
city_outbox = Table(
    "city_outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(80), nullable=False, unique=True),
    Column("order_number", String(32), nullable=False, index=True),
    Column("city_order_id", String(64), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("payload", Json, nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", String(300), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime, nullable=True),
    Index("ix_city_outbox_due", "status", "next_attempt_at", "id"),
)
