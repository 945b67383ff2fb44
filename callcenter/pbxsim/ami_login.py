"""AMI Login: plain Secret or MD5 Key, the failure delay, FullyBooted + SuccessfulAuth (each only
to a user that reads its class: main/manager.c action_login, the security events)."""

from __future__ import annotations

import asyncio
import hashlib
from typing import TYPE_CHECKING

from callcenter.ami.codec import Message
from callcenter.pbxsim.channel import format_tv
from callcenter.pbxsim.events import event

if TYPE_CHECKING:
    from callcenter.pbxsim.ami_server import AmiServer, Conn


def _auth_ok(self: AmiServer, conn: Conn, msg: Message) -> bool:
    if msg.get("Username") != self.username:
        return False
    if (msg.get("AuthType") or "").lower() == "md5":
        if conn.challenge is None:
            return False
        want = hashlib.md5((conn.challenge + self.secret).encode()).hexdigest()
        return (msg.get("Key") or "").lower() == want
    return msg.get("Secret") == self.secret


async def login(self: AmiServer, conn: Conn, msg: Message) -> bool:
    if not _auth_ok(self, conn, msg):
        await asyncio.sleep(self.auth_fail_delay)
        conn.reply(msg, ("Message", "Authentication failed"), response="Error")
        return False
    conn.logged_in = True
    conn.reply(msg, ("Message", "Authentication accepted"))
    now = self.clock()
    up = str(int(now - self.start_time))
    booted = event("FullyBooted", [("Uptime", up), ("LastReload", up), ("Status", "Fully Booted")])
    if "system" in self.user.read:
        conn.send(booted)
    tv = format_tv(now)
    auth = event("SuccessfulAuth", [
        ("EventTV", tv),
        ("Severity", "Informational"), ("Service", "AMI"), ("EventVersion", "1"),
        ("AccountID", self.username), ("SessionID", f"0x{id(conn):x}"),
        ("LocalAddress", f"IPV4/TCP/{conn.local[0]}/{conn.local[1]}"),
        ("RemoteAddress", f"IPV4/TCP/{conn.remote[0]}/{conn.remote[1]}"),
        ("UsingPassword", "0"), ("SessionTV", tv),
    ])
    if self.user.reads(auth):
        conn.send(auth)
    return True
