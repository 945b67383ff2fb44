"""SQL storage (SQLAlchemy 2 async): SQLite via aiosqlite by default, PostgreSQL via asyncpg."""
