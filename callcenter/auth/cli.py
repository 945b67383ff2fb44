"""`zhitong user add|passwd|edit|list|unlock|locks`: accounts from the server's shell (the way back
in when no admin can sign in). Changes are audited as `cli:<OS user>`; passwords come from
ZHITONG_NEW_PASSWORD or stdin (a prompt on a terminal), never from the command line."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

from callcenter.auth.throttle import ACCOUNT, ADDRESS
from callcenter.auth.users_http import user_view
from worksheet.model import Actor, Role

ROLES = ["agent", "unit_handler", "supervisor", "admin"]


def add_user_arguments(parser: argparse.ArgumentParser) -> None:
    user = parser.add_subparsers(dest="user_command", required=True)
    add = user.add_parser("add", help="add a user; the password comes from stdin or ZHITONG_NEW_PASSWORD")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--unit", help="unit code, for unit handlers")
    add.add_argument("--name", default="", help="display name (姓名)")
    passwd = user.add_parser("passwd", help="set a user's password (from stdin or ZHITONG_NEW_PASSWORD); "
                                            "the user's sessions end")
    passwd.add_argument("username")
    edit = user.add_parser("edit", help="change role, unit, name; enable or disable (role/unit changes and "
                                        "disabling end the user's sessions)")
    edit.add_argument("username")
    edit.add_argument("--role", choices=ROLES)
    edit.add_argument("--unit", help="unit code (unit handlers); '' to clear")
    edit.add_argument("--name", help="display name (姓名); '' to clear")
    state = edit.add_mutually_exclusive_group()
    state.add_argument("--disable", dest="active", action="store_false", default=None)
    state.add_argument("--enable", dest="active", action="store_true")
    user.add_parser("list", help="print the users as JSON lines")
    unlock = user.add_parser("unlock", help="lift the login lock of a user (or, with --address, of a client address)")
    target = unlock.add_mutually_exclusive_group(required=True)
    target.add_argument("username", nargs="?")
    target.add_argument("--address", help="an IP address (IPv6: its /64 is cleared)")
    user.add_parser("locks", help="print the login locks in force as JSON lines")


def read_new_password() -> str:
    password = os.environ.get("ZHITONG_NEW_PASSWORD")
    if password is None:
        password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    return password


def _print(obj: dict[str, Any]) -> None:
    print(json.dumps(obj, ensure_ascii=False))


async def user_command(args: argparse.Namespace, services: Any) -> int:
    auth, command = services.auth, args.user_command
    by = Actor(f"cli:{getpass.getuser()}"[:64], Role.ADMIN)
    if command == "add":
        actor = await auth.add_user(args.username, read_new_password(), args.role, args.unit, args.name, by=by)
        _print({"username": actor.id, "role": actor.role.value, "unit": actor.unit})
    elif command == "passwd":
        await auth.accounts.set_password(args.username, read_new_password(), by)
        _print({"username": args.username, "password_set": True})
    elif command == "edit":
        changes = {key: value for key, value in (("role", args.role), ("unit", args.unit),
                                                 ("display_name", args.name), ("active", args.active))
                   if value is not None}
        _print(user_view(await auth.accounts.edit(args.username, changes, by)))
    elif command == "list":
        locked = {b.key: b.locked_until.isoformat() for b in await auth.throttle.locks() if b.kind == ACCOUNT}
        for user in await auth.users.list():
            _print({**user_view(user), "locked_until": locked.get(user.username)})
    elif command == "locks":
        for bucket in await auth.throttle.locks():
            _print({"kind": bucket.kind, "key": bucket.key, "failures": bucket.failures,
                    "locked_until": bucket.locked_until.isoformat()})
    else:
        kind, key = (ADDRESS, args.address) if args.address else (ACCOUNT, args.username)
        _print({"kind": kind, "key": key, "unlocked": await auth.unlock(kind, key, by)})
    return 0
