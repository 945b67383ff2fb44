"""Each pytest-xdist worker gets a PostgreSQL database of its own (see tests/conftest.py)."""

from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.conftest import IN_CI, worker_database_url

BASE = os.environ.get("ZHITONG_TEST_DATABASE_URL", "").strip()


def test_sqlite_and_a_single_process_keep_the_given_database() -> None:
    assert worker_database_url("sqlite+aiosqlite:///x.sqlite3", "gw0") == "sqlite+aiosqlite:///x.sqlite3"
    assert worker_database_url("postgresql+asyncpg://u:p@127.0.0.1/zt", "") == "postgresql+asyncpg://u:p@127.0.0.1/zt"


def test_a_worker_gets_its_own_postgresql_database_made_on_first_use() -> None:
    if not BASE:
        if IN_CI:
            pytest.fail("CI=true but ZHITONG_TEST_DATABASE_URL is not set")
        pytest.skip("needs ZHITONG_TEST_DATABASE_URL")
    url = worker_database_url(BASE, "gwcheck")
    assert make_url(url).database == f"{make_url(BASE).database}_gwcheck"
    assert make_url(url).password == make_url(BASE).password

    async def database_name() -> str:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            async with engine.connect() as conn:
                return str(await conn.scalar(text("SELECT current_database()")))
        finally:
            await engine.dispose()

    assert asyncio.run(database_name()) == make_url(url).database
    assert worker_database_url(BASE, "gwcheck") == url  # a second start reuses it
