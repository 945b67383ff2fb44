"""Alembic environment.

`callcenter.db.migrate.upgrade` passes an open sync connection (from an async
engine, via `AsyncConnection.run_sync`) in `config.attributes["connection"]`.
Run standalone (`alembic -c ... upgrade head`), we read `sqlalchemy.url`, open
an async engine ourselves and do the same through `run_sync`.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from callcenter.city import tables as _city_tables  # noqa: F401  (its tables join the metadata)
from callcenter.db import wecom_tables  # noqa: F401  (registers its tables on the metadata)
from callcenter.db.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    # Batch mode lets later revisions ALTER tables on SQLite (copy-and-move).
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    from callcenter.db.engine import create_engine

    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_run)
    finally:
        await engine.dispose()


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: set sqlalchemy.url or pass attributes['connection']")
    return url


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
elif (connection := config.attributes.get("connection")) is not None:
    _run(connection)
else:
    asyncio.run(_run_async(_url()))
