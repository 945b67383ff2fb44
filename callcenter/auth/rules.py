"""The rules every account change follows, whoever makes it (CLI, API, admin page, the user):
the same password policy at creation and at every change, and unit handlers bound to a unit."""

from __future__ import annotations

from callcenter.auth.errors import AccountInvalid
from callcenter.db.units import UnitRepository
from worksheet.model import Role

PERSON_ROLES = frozenset({Role.AGENT, Role.UNIT_HANDLER, Role.SUPERVISOR, Role.ADMIN})
MIN_PASSWORD = 10
MAX_PASSWORD = 256  # far beyond any passphrase; bounds what a hostile request makes argon2 read
MAX_DISPLAY_NAME = 64


def plausible_username(username: str) -> bool:
    """What `add_user` accepts: 1–64 printable characters without spaces."""
    return 0 < len(username) <= 64 and username.isprintable() and not any(ch.isspace() for ch in username)


def check_username(username: str) -> str:
    username = username.strip()
    if not plausible_username(username):
        raise AccountInvalid("username must be 1–64 printable characters without spaces",
                             "用户名须为 1–64 个字符，不能含空格")
    return username


def check_password(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountInvalid(f"password must have at least {MIN_PASSWORD} characters",
                             f"密码至少需要 {MIN_PASSWORD} 位")
    if len(password) > MAX_PASSWORD:
        raise AccountInvalid(f"password must have at most {MAX_PASSWORD} characters", f"密码不能超过 {MAX_PASSWORD} 位")
    if password.strip().casefold() == username.casefold():
        raise AccountInvalid("password must not be the username", "密码不能与用户名相同")


def check_role(role: str) -> Role:
    parsed = next((r for r in PERSON_ROLES if r.value == role), None)
    if parsed is None:
        raise AccountInvalid(f"role must be one of: {', '.join(sorted(r.value for r in PERSON_ROLES))}",
                             "请选择有效的角色")
    return parsed


async def check_unit(units: UnitRepository, role: Role, unit: str | None) -> None:
    if role == Role.UNIT_HANDLER:
        if not unit or await units.get(unit) is None:
            raise AccountInvalid("a unit handler must be bound to an existing unit", "承办单位用户必须选择一个已有的单位")
    elif unit:
        raise AccountInvalid("only unit handlers are bound to a unit", "只有承办单位用户可以绑定单位")


def check_display_name(name: str) -> str | None:
    name = name.strip()
    if len(name) > MAX_DISPLAY_NAME or not name.isprintable():
        raise AccountInvalid(f"display_name must be at most {MAX_DISPLAY_NAME} printable characters",
                             f"姓名不能超过 {MAX_DISPLAY_NAME} 个字")
    return name or None
