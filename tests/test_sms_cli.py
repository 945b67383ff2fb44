"""`zhitong sms` and `zhitong faxes` as an operator runs them (separate processes, JSON lines)."""

from __future__ import annotations

from pathlib import Path

from callcenter.app import build_services
from callcenter.db.migrate import upgrade
from callcenter.settings import Settings
from tests.test_callbacks_cli import NOW, zhitong
from worksheet.intake import NewOrder
from worksheet.model import Actor, Category, Channel, Enterprise, Role


async def test_list_then_send_the_queued_confirmation_once(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/sms.sqlite3"
    await upgrade(url)
    services = build_services(Settings(database_url=url), clock=lambda: NOW)
    spec = NewOrder(channel=Channel.PHONE, category=Category.HELP, enterprise=Enterprise("华翔物流", phone="13800138000"),
                    subject="道路施工", content="货车出不去", received_at=NOW)
    number = (await services.orders.create(spec, Actor("agent", Role.AGENT))).number
    await services.engine.dispose()
    env = {"ZHITONG_DATABASE_URL": url, "ZHITONG_LOG_LEVEL": "WARNING"}

    code, rows, _ = await zhitong("sms", "list", env=env)
    assert code == 0 and [(r["order_number"], r["template"], r["status"]) for r in rows] == [
        (number, "order_accepted", "pending")]
    assert rows[0]["to_phone"] == "+86138****8000" and "body" not in rows[0]
    code, rows, _ = await zhitong("sms", "run-due", env=env)  # SMS off: nothing can be sent
    assert code == 2 and rows[0]["error"] == "sms-off"
    log = {**env, "ZHITONG_SMS": "log"}
    code, rows, _ = await zhitong("sms", "run-due", "--at", "2026-11-23T10:01", env=log)
    assert code == 0 and rows == [{"sent": 1, "deferred": 0, "retrying": 0, "failed": []}]
    code, rows, _ = await zhitong("sms", "run-due", "--at", "2026-11-23T10:02", env=log)
    assert rows[0]["sent"] == 0
    code, rows, _ = await zhitong("sms", "list", "--status", "sent", env=env)
    assert [r["provider"] for r in rows] == ["log"]
    code, rows, _ = await zhitong("faxes", "run", env=env)
    assert code == 0 and rows == [{"processed": 0}]
