"""The demo's banner on the agent's workspace, where its drafts arrive: the real voices and their
measured CER, or a notice in Chinese when there are none (at 1024 and 1366 px)."""

from __future__ import annotations

import pytest

from callcenter.demo.status import DemoStatus
from tests.browser import screenshot, start_site


@pytest.mark.parametrize(("status", "says", "name"), [
    (DemoStatus(clips=5, references=5, cer=0.121), "5 段真人朗读录音（按电话线路音质送入识别），启动时实测字错率 12.1%", "voices"),
    (DemoStatus(), "没有找到真人语音片段，本次演示不模拟语音留言和坐席通话", "no-voices"),
])
async def test_the_agent_sees_what_the_demo_voices_are(db_url: str, status: DemoStatus, says: str, name: str) -> None:
    async for site in start_site(db_url, demo=status):
        page = await site.login("agent")
        await page.goto(site.url("/agent"))
        banner = page.locator("#demo-voices")
        assert says in await banner.inner_text()
        for width in (1024, 1366):
            await page.set_viewport_size({"width": width, "height": 800})
            await screenshot(page, f"agent-demo-{name}-{width}")
        assert await page.locator("#drafts").count() == 1  # the queue is still there below it


async def test_without_the_demo_there_is_no_banner(db_url: str) -> None:
    async for site in start_site(db_url):
        page = await site.login("agent")
        await page.goto(site.url("/agent"))
        assert await page.locator("h2").first.is_visible()
        assert await page.locator("#demo-voices").count() == 0
