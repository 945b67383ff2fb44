"""The `kb_articles` table (migration 0009); defined with the schema in callcenter/db/tables.py."""

from callcenter.db.tables import kb_articles

__all__ = ["kb_articles"]
