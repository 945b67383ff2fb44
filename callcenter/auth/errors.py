"""Authentication errors with stable error ids (mapped to HTTP in callcenter/http/problems.py)."""

from __future__ import annotations

import math

from worksheet.errors import ValidationError


class BadCredentials(Exception):
    error_id = "bad-credentials"


class LoginRefused(Exception):
    """A login not even tried; ``retry_after`` (whole seconds) says when to try again."""

    error_id = "login-refused"
    title = "Login refused"

    def __init__(self, detail: str, *, retry_after: float) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = max(1, math.ceil(retry_after))


class LoginThrottled(LoginRefused):
    """Too many failed logins for the account or from the address: a delay or a lock (429)."""

    error_id = "login-throttled"
    title = "Too many failed logins"

    def __init__(self, *, retry_after: float, locked: bool) -> None:
        what = "locked after too many failed logins" if locked else "slowed down after failed logins"
        super().__init__(f"this login is {what}; try again in {max(1, math.ceil(retry_after))} s",
                         retry_after=retry_after)
        self.locked = locked


class LoginBusy(LoginRefused):
    """Every password-verification place is taken (503)."""

    error_id = "login-busy"
    title = "Too many logins at once"

    def __init__(self, *, retry_after: float) -> None:
        super().__init__("the server is verifying too many logins at once; try again shortly",
                         retry_after=retry_after)


class AccountInvalid(ValidationError):
    """A user account change that breaks a rule (password policy, role and unit); `zh` is the
    administrator's explanation in Chinese, `detail` the API's."""

    error_id = "account-invalid"

    def __init__(self, detail: str, zh: str) -> None:
        super().__init__(detail)
        self.zh = zh


class WrongPassword(AccountInvalid):
    """Changing one's own password needs the current one."""

    error_id = "wrong-current-password"

    def __init__(self) -> None:
        super().__init__("the current password is wrong", "当前密码不正确")
