"""Users and tokens through the auth service (on both databases)."""

from __future__ import annotations

import pytest

from callcenter.app import build_services
from callcenter.auth.services import BadCredentials
from callcenter.auth.tokens import digest
from callcenter.db.migrate import upgrade
from callcenter.settings import Settings
from worksheet.errors import ValidationError


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def auth(db_url: str):  # type: ignore[no-untyped-def]
    await upgrade(db_url)
    services = build_services(Settings(database_url=db_url))
    yield services.auth
    await services.auth.close()
    await services.engine.dispose()


async def test_login_token_and_revocation(auth) -> None:  # type: ignore[no-untyped-def]
    ticker = Ticker()
    auth._monotonic = ticker
    await auth.add_user("wang", "long-enough-password", "supervisor")
    session = await auth.login("wang", "long-enough-password")
    assert (await auth.actor_for_token(session.token)).id == "wang"
    await auth.revoke(session.token)
    assert await auth.actor_for_token(session.token) is None
    with pytest.raises(BadCredentials):
        await auth.login("wang", "wrong-password-here")
    with pytest.raises(BadCredentials):
        await auth.login("nobody", "long-enough-password")


async def test_a_cached_token_revoked_elsewhere_is_refused_at_once(auth) -> None:  # type: ignore[no-untyped-def]
    await auth.add_user("li", "long-enough-password", "agent")
    session = await auth.login("li", "long-enough-password")
    assert await auth.actor_for_token(session.token) is not None  # now in this process's cache
    await auth.users.revoke(digest(session.token))  # revoked by another node: only the database knows
    assert await auth.actor_for_token(session.token) is None


@pytest.mark.parametrize(
    ("username", "password", "role", "unit", "message"),
    [("a b", "long-enough-password", "agent", None, "username"), ("x", "short", "agent", None, "password"),
     ("x", "long-enough-password", "king", None, "role"), ("x", "long-enough-password", "unit_handler", None, "unit"),
     ("x", "long-enough-password", "agent", "zjj", "only unit handlers")],
)
async def test_bad_users_are_refused(auth, username, password, role, unit, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match=message):
        await auth.add_user(username, password, role, unit)


async def test_tokens_expire(auth) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    auth.token_lifetime = timedelta(seconds=-1)  # already expired when issued
    await auth.add_user("zhao", "long-enough-password", "agent")
    session = await auth.login("zhao", "long-enough-password")
    assert await auth.actor_for_token(session.token) is None
