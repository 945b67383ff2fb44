"""Account administration (用户管理): editing a user, setting or changing a password, enabling and
disabling — the same rules from the CLI, the API and the pages, each change in the audit log.

A change of password, role or unit ends the user's sessions and tokens on every worker and node
(the revocation generation): whoever held the old password, or the old rights, is signed out. A
user changing their own password keeps the session they did it from (they just proved the
password), and every other one ends. No change may leave the service without an active admin.
Passwords are never logged or audited, only that one was set.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from callcenter.audit import AuditLog
from callcenter.auth import rules
from callcenter.auth.errors import AccountInvalid, LoginThrottled, WrongPassword
from callcenter.db.errors import UserNotFound
from callcenter.db.users import User
from worksheet.model import Actor, Role

if TYPE_CHECKING:
    from callcenter.auth.services import AuthService

EDITABLE = ("role", "unit", "display_name", "active")


class Accounts:
    def __init__(self, auth: AuthService, audit: AuditLog, now: Callable[[], datetime]) -> None:
        self.auth, self.audit, self.now = auth, audit, now

    async def page(self, *, limit: int, offset: int) -> tuple[list[User], int]:
        return await self.auth.users.list(limit=limit, offset=offset), await self.auth.users.count()

    async def get(self, username: str) -> User:
        user = await self.auth.users.get_by_username(username) if rules.plausible_username(username) else None
        if user is None:
            raise UserNotFound(username[:64])
        return user

    async def edit(self, username: str, changes: Mapping[str, Any], by: Actor) -> User:
        """Change some of role, unit, display_name, active. Changing the role away from unit
        handler drops the unit unless one is given (and then it is refused, as at creation)."""
        if unknown := sorted(set(changes) - set(EDITABLE)):
            raise AccountInvalid(f"unknown fields: {', '.join(unknown)[:100]}; editable: {', '.join(EDITABLE)}",
                                 "提交了无法修改的项目")
        current = await self.get(username)
        role = rules.check_role(_text(changes["role"], "role")) if "role" in changes else Role(current.role)
        unit = current.unit_code if role == Role.UNIT_HANDLER else None
        if "unit" in changes:
            unit = _text(changes["unit"], "unit", optional=True).strip() or None
        await rules.check_unit(self.auth.units, role, unit)
        values: dict[str, Any] = {"role": role.value, "unit_code": unit}
        if "display_name" in changes:
            values["display_name"] = rules.check_display_name(_text(changes["display_name"], "display_name",
                                                                    optional=True))
        if "active" in changes:
            if not isinstance(changes["active"], bool):
                raise AccountInvalid("active must be true or false", "请选择账号状态")
            values["active"] = changes["active"]
        values = {k: v for k, v in values.items() if getattr(current, k) != v}
        if not values:
            return current
        revoke = bool({"role", "unit_code"} & set(values)) or values.get("active") is False
        before, after = await self.auth.users.update(current.username, values, revoke=revoke)
        if revoke:
            self.auth.sessions_revoked(current.username)
        await self.audit.record(by, "user-edit", current.username, self.now(), _describe(before, after))
        return after

    async def set_password(self, username: str, password: str, by: Actor) -> None:
        """An administrator sets a new password (e.g. the user forgot theirs)."""
        user = await self.get(username)
        rules.check_password(password, user.username)
        await self.auth.users.update(user.username, {"password_hash": await self.auth.hashing.hash(password)},
                                     revoke=True)
        self.auth.sessions_revoked(user.username)
        await self.audit.record(by, "user-password", user.username, self.now(), "password set; sessions ended")

    async def change_own(self, actor: Actor, current: str, new: str, *, token_digest: str, address: str) -> None:
        """The signed-in user changes their password: the current one is required (and wrong
        guesses count against the login throttle, so a stolen session cannot brute-force it)."""
        user = await self.get(actor.id)
        throttle = self.auth.throttle
        keys = throttle.keys(user.username, address)
        async with self.auth.hashing.admission():
            refusal = await throttle.reserve(keys)
            if refusal.wait > 0:
                raise LoginThrottled(retry_after=refusal.wait, locked=refusal.locked)
            try:
                ok = await self.auth.hashing.verify(user.password_hash, current[: rules.MAX_PASSWORD + 1])
            except BaseException:
                await throttle.released(keys)
                raise
        if not ok:
            await throttle.failed(keys, address)
            raise WrongPassword()
        await throttle.succeeded(keys)
        if new == current:
            raise AccountInvalid("the new password must differ from the current one", "新密码不能与当前密码相同")
        rules.check_password(new, user.username)
        await self.auth.users.update(user.username, {"password_hash": await self.auth.hashing.hash(new)},
                                     revoke=True, keep_token=token_digest)
        self.auth.sessions_revoked(user.username, keep_token=token_digest)
        await self.audit.record(actor, "own-password", user.username, self.now(), "password changed; other sessions ended")


def _text(value: Any, name: str, *, optional: bool = False) -> str:
    if value is None and optional:
        return ""
    if not isinstance(value, str):
        raise AccountInvalid(f"{name} must be a string", "填写的内容格式不正确")
    return value


def _describe(before: User, after: User) -> str:
    """What changed, for the audit log (never a password)."""
    parts = [f"{name} {getattr(before, field) or '-'}→{getattr(after, field) or '-'}"
             for name, field in (("role", "role"), ("unit", "unit_code"), ("name", "display_name"))
             if getattr(before, field) != getattr(after, field)]
    if before.active != after.active:
        parts.append("enabled" if after.active else "disabled; sessions ended")
    return "; ".join(parts)
