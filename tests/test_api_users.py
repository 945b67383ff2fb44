"""User administration over the API: list (paged), edit, set a password, change one's own — with
the rules a real administrator expects, every change audited, sessions ending when rights change."""

from __future__ import annotations

import pytest

from callcenter.keys import AUDIT
from tests.api_helpers import PASSWORD, Api, start_api

NEW = "a-brand-new-secret"


@pytest.fixture
async def api(db_url: str):  # type: ignore[no-untyped-def]
    async for value in start_api(db_url):
        yield value


async def login(api: Api, name: str, password: str) -> tuple[int, str]:
    resp = await api.client.post("/api/v1/auth/token", json={"username": name, "password": password})
    return resp.status, (await resp.json()).get("token", "")


async def test_users_are_listed_a_page_at_a_time_for_admins_only(api: Api) -> None:
    status, page = await api.call("admin", "GET", "/api/v1/users?limit=2&offset=1")
    assert status == 200 and page["total"] == 5 and page["limit"] == 2 and page["offset"] == 1
    everyone = (await api.call("admin", "GET", "/api/v1/users"))[1]["items"]
    assert [u["username"] for u in page["items"]] == [u["username"] for u in everyone[1:3]]
    assert set(everyone[0]) == {"username", "role", "unit", "display_name", "active"}  # never a hash
    for bad in ("limit=0", "limit=501", "limit=abc", "offset=-1", "offset=99999999999999999999"):
        status, problem = await api.call("admin", "GET", f"/api/v1/users?{bad}")
        assert status == 422 and problem["error_id"] == "validation-failed", bad
    assert (await api.call("boss", "GET", "/api/v1/users"))[0] == 403
    assert (await api.call("admin", "GET", "/api/v1/users/nobody"))[1]["error_id"] == "user-not-found"


async def test_edit_role_and_unit_signs_the_user_out_and_is_audited(api: Api) -> None:
    status, user = await api.call("admin", "PATCH", "/api/v1/users/agent", {"display_name": "李娜"})
    assert status == 200 and user["display_name"] == "李娜"
    assert (await api.call("agent", "GET", "/api/v1/me"))[0] == 200  # a name change keeps the session
    status, user = await api.call("admin", "PATCH", "/api/v1/users/agent",
                                  {"role": "unit_handler", "unit": api.units["区住建局"]})
    assert status == 200 and user["role"] == "unit_handler" and user["unit"] == api.units["区住建局"]
    assert (await api.call("agent", "GET", "/api/v1/me"))[0] == 401  # the old rights' token ended
    status, token = await login(api, "agent", PASSWORD)
    assert status == 201
    me = await api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert (await me.json())["role"] == "unit_handler"
    # Back to agent: the unit is dropped with the role.
    status, user = await api.call("admin", "PATCH", "/api/v1/users/agent", {"role": "agent"})
    assert status == 200 and user["unit"] is None
    audit = await api.client.app[AUDIT].list(subject="agent")
    assert [a["action"] for a in audit] == ["user-edit"] * 3 and all(a["actor"] == "admin" for a in audit)
    assert "role unit_handler→agent" in audit[0]["detail"]


@pytest.mark.parametrize(("body", "error_id"), [
    ({"role": "unit_handler"}, "account-invalid"),  # no unit
    ({"role": "unit_handler", "unit": "no-such-unit"}, "account-invalid"),
    ({"unit": "zjj"}, "account-invalid"),  # an agent has no unit
    ({"role": "system"}, "account-invalid"),
    ({"role": 7}, "account-invalid"),
    ({"active": "no"}, "account-invalid"),
    ({"display_name": "x" * 65}, "account-invalid"),
    ({"password_hash": "x"}, "account-invalid"),  # not editable this way
])
async def test_edits_breaking_a_rule_are_refused(api: Api, body: dict[str, object], error_id: str) -> None:
    status, problem = await api.call("admin", "PATCH", "/api/v1/users/agent", body)
    assert status == 422 and problem["error_id"] == error_id
    assert (await api.call("admin", "GET", "/api/v1/users/agent"))[1]["role"] == "agent"


async def test_the_last_admin_cannot_be_demoted_or_disabled(api: Api) -> None:
    for body in ({"role": "supervisor"}, {"active": False}):
        status, problem = await api.call("admin", "PATCH", "/api/v1/users/admin", body)
        assert status == 409 and problem["error_id"] == "last-admin"
    await api.call("admin", "PATCH", "/api/v1/users/boss", {"role": "admin"})
    status, user = await api.call("admin", "PATCH", "/api/v1/users/admin", {"role": "supervisor"})
    assert status == 200 and user["role"] == "supervisor"
    assert (await api.call("admin", "GET", "/api/v1/me"))[0] == 401  # demoted: signed out
    status, problem = await api.call("boss", "PATCH", "/api/v1/users/boss", {"active": False})
    assert status == 401  # boss's token ended when boss became admin
    status, token = await login(api, "boss", PASSWORD)
    resp = await api.client.patch("/api/v1/users/boss", json={"active": False},
                                  headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 409 and (await resp.json())["error_id"] == "last-admin"


async def test_admin_sets_a_password_which_ends_the_users_sessions(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    status, problem = await api.call("admin", "PUT", "/api/v1/users/agent/password", {"password": "short"})
    assert status == 422 and problem["error_id"] == "account-invalid"
    status, problem = await api.call("admin", "PUT", "/api/v1/users/agent/password", {"password": "agent"})
    assert status == 422
    assert (await api.call("admin", "PUT", "/api/v1/users/agent/password", {"password": "x" * 257}))[0] == 422
    assert (await api.call("admin", "PUT", "/api/v1/users/agent/password", {"password": 12345678901}))[0] == 422
    assert (await api.call("admin", "PUT", "/api/v1/users/ghost/password", {"password": NEW}))[0] == 404
    resp = await api.client.put("/api/v1/users/agent/password", json={"password": NEW}, headers=api.auth("admin"))
    assert resp.status == 204
    assert (await api.call("agent", "GET", "/api/v1/me"))[0] == 401
    assert (await login(api, "agent", PASSWORD))[0] == 401
    assert (await login(api, "agent", NEW))[0] == 201
    audit = await api.client.app[AUDIT].list(subject="agent")
    assert audit[0]["action"] == "user-password" and NEW not in audit[0]["detail"]
    assert NEW not in caplog.text
    assert (await api.call("boss", "PUT", "/api/v1/users/agent/password", {"password": NEW}))[0] == 403


async def test_a_user_changes_their_own_password_keeping_this_session(api: Api) -> None:
    status, other = await login(api, "agent", PASSWORD)  # the agent's second device
    status, problem = await api.call("agent", "PUT", "/api/v1/me/password",
                                     {"current_password": "wrong-password!", "new_password": NEW})
    assert status == 422 and problem["error_id"] == "wrong-current-password"
    status, problem = await api.call("agent", "PUT", "/api/v1/me/password",
                                     {"current_password": PASSWORD, "new_password": "short"})
    assert status == 422 and problem["error_id"] == "account-invalid"
    status, problem = await api.call("agent", "PUT", "/api/v1/me/password",
                                     {"current_password": PASSWORD, "new_password": PASSWORD})
    assert status == 422
    assert (await api.call("agent", "PUT", "/api/v1/me/password", {"current_password": PASSWORD}))[0] == 422
    resp = await api.client.put("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": NEW},
                                headers=api.auth("agent"))
    assert resp.status == 204
    assert (await api.call("agent", "GET", "/api/v1/me"))[0] == 200  # this token stays
    gone = await api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {other}"})
    assert gone.status == 401  # the other device is signed out
    assert (await login(api, "agent", NEW))[0] == 201
    audit = await api.client.app[AUDIT].list(subject="agent")
    assert audit[0]["action"] == "own-password" and audit[0]["actor"] == "agent"


async def test_wrong_current_passwords_are_throttled_like_logins(api: Api) -> None:
    statuses = []
    for _ in range(8):
        status, _problem = await api.call("jtj", "PUT", "/api/v1/me/password",
                                          {"current_password": "guess-guess-guess", "new_password": NEW})
        statuses.append(status)
    assert statuses[0] == 422 and 429 in statuses


async def test_added_users_are_audited_and_keep_their_display_name(api: Api) -> None:
    status, _ = await api.call("admin", "POST", "/api/v1/users", {"username": "wang", "password": NEW,
                                                                   "role": "supervisor", "display_name": "王芳"})
    assert status == 201
    assert (await api.call("admin", "GET", "/api/v1/users/wang"))[1]["display_name"] == "王芳"
    audit = await api.client.app[AUDIT].list(subject="wang")
    assert audit[0]["action"] == "user-add" and audit[0]["actor"] == "admin"
    status, problem = await api.call("admin", "POST", "/api/v1/users", {"username": "wang", "password": NEW,
                                                                         "role": "agent"})
    assert status == 409 and problem["error_id"] == "duplicate-user"
    assert (await api.call("admin", "GET", "/api/v1/openapi.json"))[1]["paths"]["/api/v1/users/{username}"]["patch"]
