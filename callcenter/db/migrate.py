"""`zhitong db upgrade`: Alembic migrations run programmatically on an async engine."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from callcenter.db.engine import create_engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
log = logging.getLogger("zhitong.db")


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic config without an alembic.ini: the package's migrations, and either
    a URL (env.py then opens its own async engine) or an open sync connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # ConfigParser interpolation
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


async def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`. Idempotent: at head it does nothing.
    What it changed is logged in one line (the CLI keeps Alembic's own per-revision INFO
    lines, docstrings included, out of the start-up output)."""
    def run(sync: Connection) -> tuple[str | None, str | None]:
        before = MigrationContext.configure(sync).get_current_revision()
        command.upgrade(alembic_config(url, sync), revision)
        return before, MigrationContext.configure(sync).get_current_revision()

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            before, after = await conn.run_sync(run)
    finally:
        await engine.dispose()
    if before != after:
        log.info("database schema %s %s", "created at revision" if before is None else f"upgraded from {before} to",
                 after)
