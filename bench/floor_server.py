"""The floor for orders_bench.py: the least an HTTP create/GET can cost on this machine.

    python bench/floor_server.py PORT DB_PATH WORKERS

A bare aiohttp app in WORKERS processes sharing one listening socket (as `zhitong serve
--workers N` does), over one SQLite file in the service's mode (WAL, synchronous=FULL, so each
commit is fsynced). POST /api/v1/orders inserts the JSON body as one row and commits; GET
/api/v1/orders/{number} reads it back. No auth, no domain, no batching: what is left is aiohttp,
JSON, aiosqlite and one durable commit per create.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import sys

import aiosqlite
from aiohttp import web

PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=30000")


def build(db_path: str) -> web.Application:
    app = web.Application()

    async def open_db(app: web.Application):  # type: ignore[no-untyped-def]
        db = await aiosqlite.connect(db_path, isolation_level=None)
        for pragma in PRAGMAS:
            await db.execute(pragma)
        app["db"] = db
        yield
        await db.close()

    async def create(request: web.Request) -> web.Response:
        body = await request.json()
        cur = await request.app["db"].execute("INSERT INTO orders (body) VALUES (?)", (json.dumps(body),))
        return web.json_response({"number": str(cur.lastrowid), **body}, status=201)

    async def get(request: web.Request) -> web.Response:
        cur = await request.app["db"].execute("SELECT body FROM orders WHERE id = ?", (request.match_info["number"],))
        row = await cur.fetchone()
        if row is None:
            raise web.HTTPNotFound()
        return web.json_response({"number": request.match_info["number"], **json.loads(row[0])})

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app.cleanup_ctx.append(open_db)
    app.router.add_post("/api/v1/orders", create)
    app.router.add_get("/api/v1/orders/{number}", get)
    app.router.add_get("/healthz", health)
    app.router.add_post("/api/v1/auth/token", lambda _: web.json_response({"token": "floor"}))
    return app


def main() -> None:
    port, db_path, workers = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    with sqlite3.connect(db_path) as db:  # before forking: the workers must not race to create it
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(1024)
    for _ in range(workers - 1):
        if os.fork() == 0:
            break
    web.run_app(build(db_path), sock=sock, print=None, access_log=None)


if __name__ == "__main__":
    main()
