"""Fixtures of the real-PBX tests (tests/pbx).

The Asterisk build comes from `.ci/run` (../shared/asterisk/build.sh into a cache outside the
clone; `ZHITONG_ASTERISK_PREFIX` says where). In CI a missing build fails the run; elsewhere these
tests are skipped with the command that builds it.

One world (two Asterisks and `zhitong serve`) is started per module and backend (about 20 s);
tests tell their calls apart by their own caller numbers, so nothing needs resetting between them.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI, PG_URL, reset_database
from tests.pbx.asterisk import asterisk_prefix
from tests.pbx.world import World

AGENT_CLIP = "common_voice_zh-CN_18627003"

pytestmark = pytest.mark.pbx


def require_asterisk() -> Path:
    prefix = asterisk_prefix()
    if not (prefix / "sbin" / "asterisk").exists():
        message = (f"no Asterisk build at {prefix}: run `bash ../shared/asterisk/build.sh {prefix}` "
                   "(or `bash .ci/run`), or set ZHITONG_ASTERISK_PREFIX")
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return prefix


def database_for(backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp / 'pbx.sqlite3'}"
    if not PG_URL:
        message = "this real-PBX scenario needs PostgreSQL: set ZHITONG_TEST_DATABASE_URL (.ci/run does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    asyncio.run(reset_database(PG_URL))
    return PG_URL


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A module's BACKENDS (default: SQLite only) says which databases its world runs on, and
    AGENT_TALK_S (with OWN_WORLD = True) how long its agents stay on the line. A world lives for
    one module: one that lived on would hold PostgreSQL while later tests reset its schema."""
    if "world" in metafunc.fixturenames:
        own = getattr(metafunc.module, "OWN_WORLD", False)
        name = metafunc.module.__name__.rsplit(".", 1)[-1]
        talk = getattr(metafunc.module, "AGENT_TALK_S", 6)
        params = [f"{b}:{name}:{talk}" if own else b for b in getattr(metafunc.module, "BACKENDS", ["sqlite"])]
        metafunc.parametrize("world", params, indirect=True, scope="module")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    backend, _, rest = str(getattr(request, "param", "sqlite")).partition(":")
    talk = int(rest.rsplit(":", 1)[1]) if rest else 6  # seconds the agent stays on after their clip
    prefix = require_asterisk()
    root = tmp_path_factory.mktemp(f"pbx-{uuid.uuid4().hex[:6]}")
    w = World(root=root, prefix=prefix, shared=shared_dir, database_url=database_for(backend, root))
    w.build(AGENT_CLIP, talk)
    try:
        w.start()
        yield w
    except BaseException:
        print(f"--- hotline ---\n{w.hotline.tail()}\n--- carrier ---\n{w.carrier.tail()}")
        raise
    finally:
        w.stop()
        if not os.environ.get("ZHITONG_PBX_KEEP"):
            w.hotline.remove()
            w.carrier.remove()

