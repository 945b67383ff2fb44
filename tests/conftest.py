"""Shared fixtures.

`db_url` runs a test once per database backend: always SQLite (a fresh file per
test) and PostgreSQL when ZHITONG_TEST_DATABASE_URL is set (the `public` schema
is dropped and recreated before each test). In CI (CI=true) the PostgreSQL run
is mandatory: without the variable its parameter fails instead of vanishing.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

IN_CI = os.environ.get("CI", "").lower() == "true"


def worker_database_url(url: str, worker: str) -> str:
    """Under pytest-xdist each worker resets the `public` schema of its own database
    (`<name>_<worker>`), made beside the given one on first use: two workers resetting one
    database would wipe each other's tables mid-test."""
    if not url.startswith("postgresql") or not worker:
        return url
    base = make_url(url)
    own = base.set(database=f"{base.database}_{worker}")

    async def create() -> None:
        engine = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                found = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": own.database})
                if not found:
                    await conn.execute(text(f'CREATE DATABASE "{own.database}"'))
        finally:
            await engine.dispose()

    asyncio.run(create())
    return own.render_as_string(hide_password=False)


PG_URL = worker_database_url(os.environ.get("ZHITONG_TEST_DATABASE_URL", "").strip(),
                             os.environ.get("PYTEST_XDIST_WORKER", ""))
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL or IN_CI else [])
REPO_ROOT = Path(__file__).resolve().parent.parent


async def reset_database(url: str) -> None:
    """Leave an empty database behind. SQLite files are per test, so only PostgreSQL needs this."""
    if not url.startswith("postgresql"):
        return
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/test.sqlite3"
    if not PG_URL:
        pytest.fail("CI=true but ZHITONG_TEST_DATABASE_URL is not set: the PostgreSQL run is required in CI")
    await reset_database(PG_URL)
    return PG_URL


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database migrated to the newest revision."""
    from callcenter.db.engine import create_engine
    from callcenter.db.migrate import upgrade

    await upgrade(db_url)
    eng = create_engine(db_url)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared data folder (ASR model, captures, domain notes): $ZHITONG_SHARED or ../shared."""
    path = Path(os.environ.get("ZHITONG_SHARED") or REPO_ROOT.parent / "shared").resolve()
    if not path.is_dir():
        pytest.fail(f"shared data folder not found at {path}; set ZHITONG_SHARED or put 'shared' beside the repo")
    return path
