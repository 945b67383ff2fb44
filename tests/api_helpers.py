"""A real aiohttp server on 127.0.0.1 with a controllable clock, seeded with units and users."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient, TestServer
from aiohttp.web import BaseRunner

from callcenter.admin import read_units
from callcenter.app import build_app
from callcenter.http.server import QuietAppRunner
from callcenter.keys import AUTH, ORDERS, UNITS
from callcenter.settings import Settings

SH = ZoneInfo("Asia/Shanghai")
PASSWORD = "correct-horse-battery"


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 9, 0, tzinfo=SH))

    def __call__(self) -> datetime:
        return self.now

    def set(self, text: str) -> None:
        self.now = datetime.fromisoformat(text).replace(tzinfo=SH)


@dataclass
class Api:
    client: TestClient
    clock: FakeClock
    tokens: dict[str, str]
    units: dict[str, str]  # name → code

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def call(self, who: str, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        resp = await self.client.request(method, path, json=body, headers={**self.auth(who), **kw.pop("headers", {})}, **kw)
        data = await resp.json(content_type=None)
        if method != "GET" and ORDERS in self.client.app:
            # The API answers before an order's SMS, notices and callbacks are queued (see
            # OrderService._notify): what a test checks next should see them.
            await self.client.app[ORDERS].settle()
        return resp.status, data

    async def act(self, who: str, number: str, action: str, body: Any = None, expect: int = 200) -> Any:
        status, data = await self.call(who, "POST", f"/api/v1/orders/{number}/{action}", body or {})
        assert status == expect, (action, status, data)
        return data


ORDER = {
    "channel": "phone", "category": "help",
    "enterprise": {"name": "绵阳华翔物流有限公司", "credit_code": "91350100M000100Y43", "contact_person": "王经理",
                   "phone": "13800138000"},
    "subject": "道路施工影响货物运输",
    "content": "华翔路道路施工，附近企业货物无法运出。绕行创业路时路口限高，不能通过。",
}


class ServedLikeZhitongServe(TestServer):
    """aiohttp's TestServer cancels a handler whose client disconnects; `zhitong serve` lets it run
    on (its runner, as here), so a handler writing to a gone client sees a ConnectionResetError."""

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        return QuietAppRunner(self.app, **{**kwargs, "handler_cancellation": False})


async def start_api(db_url: str, *, server: type[TestServer] = TestServer, **settings: Any) -> AsyncIterator[Api]:
    clock = FakeClock()
    files = tempfile.mkdtemp(prefix="zt-files-")  # blobs and recordings of this server only
    settings = {"blob_dir": f"{files}/blobs", "recordings_dir": f"{files}/recordings", **settings}
    app = build_app(Settings(database_url=db_url, **settings), clock=clock, telephony=False)
    client = TestClient(server(app, host="127.0.0.1"))
    await client.start_server()
    try:
        units = read_units("demo")
        await app[UNITS].upsert_many(units)
        by_name = {u["name"]: u["code"] for u in units}
        auth = app[AUTH]
        await auth.add_user("admin", PASSWORD, "admin")
        await auth.add_user("agent", PASSWORD, "agent")
        await auth.add_user("boss", PASSWORD, "supervisor")
        await auth.add_user("zjj", PASSWORD, "unit_handler", by_name["区住建局"])
        await auth.add_user("jtj", PASSWORD, "unit_handler", by_name["区交通运输局"])
        tokens = {}
        for name in ("admin", "agent", "boss", "zjj", "jtj"):
            resp = await client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
            assert resp.status == 201, await resp.text()
            tokens[name] = (await resp.json())["token"]
        yield Api(client, clock, tokens, by_name)
    finally:
        await client.close()
        shutil.rmtree(files, ignore_errors=True)
