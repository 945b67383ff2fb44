"""The first admin account and the block `zhitong serve` prints last at start-up.

The block (URL, and the first admin's password when it was generated) is printed after every
other start-up line so it does not scroll away; the generated password is also written to a file
only its owner can read (mode 0600), by default beside the SQLite database.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from callcenter.settings import Settings

log = logging.getLogger("zhitong")
PASSWORD_FILE_NAME = "admin-password.txt"


@dataclass(frozen=True)
class FirstAdmin:
    """How the first admin signs in: ``source`` is "generated" (now), "env" (ZHITONG_ADMIN_PASSWORD)
    or "existing" (users were there already); ``save_error`` says why the file was not written."""

    source: str
    file: Path
    password: str | None = None
    save_error: str | None = None


def password_file(settings: Settings) -> Path:
    """ZHITONG_ADMIN_PASSWORD_FILE, else beside the SQLite database, else var/admin-password.txt."""
    if settings.admin_password_file:
        return Path(settings.admin_password_file).absolute()
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).absolute().parent / PASSWORD_FILE_NAME
    return Path("var", PASSWORD_FILE_NAME).absolute()


def save_password(path: Path, password: str) -> None:
    """Write ``password`` (and a newline) to ``path``, mode 0600 from the first byte: a temporary
    file in the same folder (mkstemp makes it 0600) renamed over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".admin-password.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(password + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


async def ensure_first_admin(settings: Settings, services: Any) -> FirstAdmin:
    """Create the user `admin` when there are no users: with ZHITONG_ADMIN_PASSWORD, or with a
    generated password that is saved to `password_file` and shown in the start-up block."""
    file = password_file(settings)
    if await services.auth.users.count() > 0:
        return FirstAdmin("existing", file)
    if settings.admin_password is not None:
        await services.auth.add_user("admin", settings.admin_password, "admin")
        return FirstAdmin("env", file)
    password = secrets.token_urlsafe(12)
    await services.auth.add_user("admin", password, "admin")
    try:
        save_password(file, password)
    except OSError as exc:
        log.warning("could not save the admin password to %s: %s", file, exc.strerror or exc)
        return FirstAdmin("generated", file, password, save_error=exc.strerror or str(exc))
    return FirstAdmin("generated", file, password)


def ready_block(url: str, admin: FirstAdmin, *, demo: bool, workers: int) -> str:
    """The framed block printed last at start-up (plain ASCII: any terminal or log viewer)."""
    lines = [f"Zhitong is ready: {url}" + (f"  ({workers} worker processes)" if workers > 1 else "")]
    if demo:
        lines.append("demo: the simulated PBX places a call every few seconds")
    if admin.source == "generated":
        lines += ["sign in as: admin", f"password:   {admin.password}"]
        if admin.save_error is None:
            lines.append(f"(also saved in {admin.file}, readable by {getpass.getuser()} only)")
        else:
            lines.append(f"(NOT saved to {admin.file}: {admin.save_error}; note it now)")
    elif admin.source == "env":
        lines.append("sign in as admin with the password in ZHITONG_ADMIN_PASSWORD")
    elif admin.file.is_file():
        lines.append(f"the first admin's generated password was saved in {admin.file}")
    width = max(len(line) for line in lines)
    rule = "+" + "-" * (width + 4) + "+"
    return "\n".join([rule, *(f"|  {line.ljust(width)}  |" for line in lines), rule])


def public_url(host: str, port: int) -> str:
    """What to open in a browser: a wildcard listen address is reachable on loopback."""
    if host in ("0.0.0.0", "", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
