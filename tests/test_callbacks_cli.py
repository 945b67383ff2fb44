"""`zhitong callbacks` as an operator runs it: a separate process that logs in to AMI (here the
PBX simulator) only to dial the surveys that are due."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from callcenter.app import build_services
from callcenter.db.migrate import upgrade
from callcenter.orders.services import SYSTEM
from callcenter.pbxsim import PbxSimulator
from callcenter.settings import Settings
from worksheet import commands as c
from worksheet.intake import NewOrder
from worksheet.model import Actor, Category, Channel, Enterprise, Role, Status

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


async def zhitong(*args: str, env: dict[str, str]) -> tuple[int, list[dict[str, object]], str]:
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "callcenter.cli", *args, cwd=REPO,
                                                env={**os.environ, **env}, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, [json.loads(line) for line in out.decode().splitlines()], err.decode()


async def test_list_and_run_due_dial_the_waiting_survey_once(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/cb.sqlite3"
    await upgrade(url)
    services = build_services(Settings(database_url=url), clock=lambda: NOW)
    agent, unit = Actor("agent", Role.AGENT), Actor("h", Role.UNIT_HANDLER, "jtj")
    await services.units.upsert_many([{"code": "jtj", "name": "区交通运输局"}])
    spec = NewOrder(channel=Channel.PHONE, category=Category.HELP, enterprise=Enterprise("华翔物流", phone="13800138000"),
                    subject="道路施工", content="货车出不去", received_at=NOW)
    number = (await services.orders.create(spec, agent)).number
    for command in (c.Dispatch(actor=agent, lead_unit="jtj"), c.Accept(actor=unit), c.Reply(actor=unit, content="已处理"),
                    c.Check(actor=Actor("boss", Role.SUPERVISOR), passed=True)):
        await services.orders.act(number, command)
    assert (await services.orders.get(number, SYSTEM)).status == Status.CALLBACK_PENDING
    await services.engine.dispose()
    env = {"ZHITONG_DATABASE_URL": url, "ZHITONG_LOG_LEVEL": "WARNING"}
    code, jobs, _ = await zhitong("callbacks", "list", env=env)
    assert code == 0 and [(j["order_number"], j["status"]) for j in jobs] == [(number, "scheduled")]
    code, _, err = await zhitong("callbacks", "run-due", "--at", "2026-11-23T10:00", env=env)
    assert code == 2 and "ZHITONG_AMI_HOST" in err  # no Asterisk configured: a clear error, nothing dialled
    async with PbxSimulator(username="zhitong", secret="cli-secret") as sim:
        ami = {"ZHITONG_AMI_HOST": "127.0.0.1", "ZHITONG_AMI_PORT": str(sim.ami_port), "ZHITONG_AMI_SECRET": "cli-secret"}
        code, lines, err = await zhitong("callbacks", "run-due", "--at", "2026-11-23T10:00", env={**env, **ami})
        assert code == 0, err
        run = next(line["run"] for line in lines if "run" in line)
        assert [d["order_number"] for d in run["dialled"]] == [number]  # type: ignore[index]
        code, lines, _ = await zhitong("callbacks", "run-due", "--at", "2026-11-23T10:00", env={**env, **ami})
        run = next(line["run"] for line in lines if "run" in line)
        assert run["dialled"] == []  # type: ignore[index]  # attempt counted: no second dial
    code, jobs, _ = await zhitong("callbacks", "list", env=env)
    assert jobs[0]["status"] == "dialling" and jobs[0]["attempts"] == 1
