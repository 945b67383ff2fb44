"""The portal under test: the real app on 127.0.0.1 with the portal on, the SMS port replaced by a
fake that keeps what was sent (the codes are read from there, as the enterprise reads its phone),
the demo enterprise directory and units loaded."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from callcenter.admin import read_units
from callcenter.app import build_app
from callcenter.enterprises.loader import read_directory_csv
from callcenter.enterprises.repository import EnterpriseRepository
from callcenter.enterprises.service import DEMO_DIRECTORY
from callcenter.keys import ORDERS, SMS, UNITS
from callcenter.orders.services import SYSTEM
from callcenter.settings import Settings
from callcenter.sms.port import OutboundSms, SendReceipt
from tests.api_helpers import FakeClock
from worksheet import commands as c
from worksheet.model import Actor, Role, Status, WorkOrder

PHONE = "13912345678"
COMPANY = "绵阳华翔物流有限公司"
CREDIT_CODE = "915107039755TH2H1D"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')
_CODE = re.compile(r"验证码为(\d{6})")


@dataclass
class CapturedSms:
    """The SMS port's fake: every message the portal sent straight to the provider."""

    name: str = "captured"
    sent: list[OutboundSms] = field(default_factory=list)

    async def send(self, sms: OutboundSms) -> SendReceipt:
        self.sent.append(sms)
        return SendReceipt(f"CAP{len(self.sent)}", "queued")

    def codes(self, phone: str = PHONE) -> list[str]:
        return [m.group(1) for s in self.sent if s.to.endswith(phone) and (m := _CODE.search(s.text))]

    def last_code(self, phone: str = PHONE) -> str:
        codes = self.codes(phone)
        assert codes, f"no code was sent to {phone}"
        return codes[-1]


async def prepare(app: web.Application) -> CapturedSms:
    """Units and the demo directory in the database, the SMS fake in place of the provider."""
    await app[UNITS].upsert_many(read_units("demo"))
    entries, _ = read_directory_csv(DEMO_DIRECTORY)
    await EnterpriseRepository(app[ORDERS].orders.engine).upsert_many(entries)
    sms = CapturedSms()
    app[SMS].provider = sms
    return sms


@dataclass
class Portal:
    client: TestClient
    app: web.Application
    clock: FakeClock
    sms: CapturedSms

    async def token(self, path: str = "/portal") -> str:
        resp = await self.client.get(path)
        assert resp.status == 200, resp.status
        found = _CSRF.search(await resp.text())
        assert found
        return found.group(1)

    async def post(self, path: str, data: dict[str, Any], *, token: str | None = None,
                   allow_redirects: bool = False) -> tuple[int, str, str]:
        """(status, page text, Location) of a form post with this browser's form token."""
        body = {"_csrf": token if token is not None else await self.token(), **data}
        resp = await self.client.post(path, data=body, allow_redirects=allow_redirects)
        return resp.status, await resp.text(), resp.headers.get("Location", "")

    async def request_code(self, phone: str = PHONE) -> str:
        status, text, _ = await self.post("/portal", {"action": "code", "phone": phone})
        assert status == 200 and "验证码已发送" in text, text
        return self.sms.last_code(phone)

    async def submit(self, **fields: Any) -> tuple[int, str, str]:
        code = fields.pop("code", None) or await self.request_code(fields.get("phone", PHONE))
        return await self.post("/portal", {**form(), **fields, "code": code, "action": "submit"})

    async def open_tracking(self, number: str, phone: str = PHONE) -> tuple[int, str, str]:
        status, text, _ = await self.post("/portal/track", {"action": "code", "number": number, "phone": phone})
        assert status == 200, text
        code = self.sms.last_code(phone)
        return await self.post("/portal/track", {"action": "open", "number": number, "phone": phone, "code": code})


def form(**changes: str) -> dict[str, str]:
    return {"enterprise_name": COMPANY, "credit_code": CREDIT_CODE, "contact_person": "吴杰", "phone": PHONE,
            "category": "help", "subject": "道路施工影响货物运输",
            "content": "华翔路道路施工已三个月，附近企业货物无法运出，请协调施工单位开放临时通道。", **changes}


async def start_portal(db_url: str, **settings: Any) -> AsyncIterator[Portal]:
    clock = FakeClock()
    files = tempfile.mkdtemp(prefix="zt-portal-")
    settings = {"blob_dir": f"{files}/blobs", "recordings_dir": f"{files}/recordings", "portal": "on", **settings}
    app = build_app(Settings(database_url=db_url, **settings), clock=clock, telephony=False)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield Portal(client, app, clock, await prepare(app))
    finally:
        await client.close()
        shutil.rmtree(files, ignore_errors=True)


async def dispatched(app: web.Application, number: str) -> str:
    """An agent registers the portal's draft and dispatches it; the unit's code."""
    agent = Actor("agent", Role.AGENT)
    unit = str((await app[UNITS].list())[0]["code"])
    await app[ORDERS].act(number, c.Confirm(actor=agent))
    await app[ORDERS].act(number, c.Dispatch(actor=agent, lead_unit=unit))
    return unit


async def to_survey(app: web.Application, number: str) -> WorkOrder:
    """From the draft (or dispatched): the unit replies, the reply passes, the survey is due."""
    orders = app[ORDERS]
    order = await orders.get(number, SYSTEM)
    unit = await dispatched(app, number) if order.status == Status.DRAFT else str(order.lead_unit)
    handler, boss = Actor("h", Role.UNIT_HANDLER, unit), Actor("boss", Role.SUPERVISOR)
    await orders.act(number, c.Accept(actor=handler))
    await orders.act(number, c.Reply(actor=handler, content="已协调施工单位开放临时通道，货车可以通行。"))
    order = await orders.act(number, c.Check(actor=boss, passed=True))
    assert order.status == Status.CALLBACK_PENDING
    return await orders.get(number, SYSTEM)
