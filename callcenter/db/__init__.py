"""SQL storage (SQLAlchemy 2 async): SQLite via aiosqlite by default, PostgreSQL via asyncpg."""

# Feature tables defined beside tables.py join the shared metadata whenever storage is imported
# (migrations, the schema check).
from . import mailbox_tables as mailbox_tables
from . import portal_tables as portal_tables
