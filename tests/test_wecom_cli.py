"""`zhitong wecom` and `zhitong liaison` as an admin runs them (separate processes, JSON lines):
the webhook key comes from stdin and is only ever printed masked."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from callcenter.app import build_services
from callcenter.db.migrate import upgrade
from callcenter.enterprises.service import DEMO_DIRECTORY, load_enterprises
from callcenter.settings import Settings
from tests.test_callbacks_cli import REPO

KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


async def zhitong(*args: str, url: str, stdin: str = "") -> tuple[int, list[dict[str, object]], str]:
    env = {**os.environ, "ZHITONG_DATABASE_URL": url, "ZHITONG_LOG_LEVEL": "WARNING"}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "callcenter.cli", *args, cwd=REPO, env=env,
                                                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), 60)
    return proc.returncode or 0, [json.loads(line) for line in out.decode().splitlines()], err.decode()


async def test_robots_senders_and_liaisons_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/wecom.sqlite3"
    await upgrade(url)
    services = build_services(Settings(database_url=url))
    await services.units.upsert_many([{"code": "jtj", "name": "区交通运输局"}])
    await load_enterprises(services.engine, DEMO_DIRECTORY)
    await services.auth.add_user("li", "correct-horse-battery", "agent")
    await services.engine.dispose()

    code, rows, _ = await zhitong("wecom", "robot-set", "jtj", url=url, stdin=KEY + "\n")
    assert code == 0 and rows == [{"target": "jtj", "saved": True}]
    code, rows, err = await zhitong("wecom", "robot-set", "nope", url=url, stdin=KEY + "\n")
    assert code == 2 and rows[0]["error"] == "unknown-unit"
    code, rows, err = await zhitong("wecom", "robot-set", "liaison", url=url, stdin="not a key\n")
    assert code == 2 and "密钥格式不正确" in err
    code, rows, _ = await zhitong("wecom", "robots", url=url)
    assert [(r["target"], r["key"]) for r in rows] == [("unit:jtj", "693a…5aaa")] and KEY not in str(rows)
    code, rows, _ = await zhitong("wecom", "sender-set", "wujie", "绵阳华翔物流有限公司", url=url)
    assert code == 0
    code, rows, _ = await zhitong("wecom", "senders", url=url)
    assert rows == [{"userid": "wujie", "enterprise": "绵阳华翔物流有限公司"}]
    code, _, err = await zhitong("liaison", "assign", "不存在的公司", "li", url=url)
    assert code == 2 and "企业名录中没有" in err
    for args in (("assign", "915107039755TH2H1D", "li"), ("contact", "li", "--mobile", "13900139000", "--wecom", "li.x")):
        assert (await zhitong("liaison", *args, url=url))[0] == 0
    code, rows, _ = await zhitong("liaison", "list", url=url)
    assert rows == [{"enterprise": "绵阳华翔物流有限公司", "liaison": "li", "liaison_name": None,
                     "mobile": "139****9000", "wecom_userid": "li.x"}]
