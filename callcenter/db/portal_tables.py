"""The enterprise portal's tables (migration 0021), on the schema's one `MetaData`.

`portal_codes`: SMS verification codes, only as HMAC hashes; a code is for one number and one
purpose ("submit", or "track:<order number>"), expires in minutes and takes a few attempts.
`portal_hits`: timestamps of what the abuse limits count (codes sent per number and address,
failures per address, used challenge nonces), shared by every worker and node.
`portal_state`: one row, the key that signs the portal's forms, cookies and challenges.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table

from callcenter.db.tables import UtcDateTime, metadata

portal_codes = Table(
    "portal_codes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("phone", String(32), nullable=False),  # phone_key(): digits without +86
    Column("purpose", String(48), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("used_at", UtcDateTime, nullable=True),
    Index("ix_portal_codes_phone_purpose", "phone", "purpose", "created_at"),
)

portal_hits = Table(
    "portal_hits", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(24), nullable=False),
    Column("key", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_portal_hits_kind_key_at", "kind", "key", "at"),
    Index("ix_portal_hits_at", "at"),
)

portal_state = Table(
    "portal_state", metadata,
    Column("id", Integer, primary_key=True),
    Column("secret", String(64), nullable=False),
)
