"""The `enterprises` table (企业名录), created by migration 0003; defined with the rest of the
schema in callcenter/db/tables.py."""

from callcenter.db.tables import enterprises

__all__ = ["enterprises"]
