"""In a real browser, the draft form shows which fields the agent must check: 「建议」 beside a
suggested value, nothing beside a calibrated-confident one (issue 14, item 3). Screenshot kept."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.browser import Site, screenshot, start_site
from tests.page_helpers import fax_draft

TEXT = "我们是绵阳长城机械有限公司的，我要投诉政务大厅窗口的工作人员态度很差，来回跑了四趟"


@pytest.fixture
async def site(db_url: str) -> AsyncIterator[Site]:
    async for site in start_site(db_url):
        yield site


async def test_the_draft_form_marks_suggestions_not_confident_fields(site: Site) -> None:
    number = await fax_draft(site.app, site.clock(), TEXT)
    page = await site.login("agent")
    await page.goto(site.url(f"/agent/drafts/{number}"))
    category = page.locator("form.draft-form label", has=page.locator("select[name=category]"))
    subject = page.locator("form.draft-form label", has=page.locator("input[name=subject]"))
    assert await category.locator(".badge.suggest").count() == 0
    assert await subject.locator(".badge.suggest").inner_text() == "建议"
    assert await page.input_value("select[name=category]") == "complaint"
    # The mark stands out from the plain badges: its own colour.
    mark = subject.locator(".badge.suggest")
    assert await mark.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(255, 243, 205)"
    box, field = await mark.bounding_box(), await page.locator("input[name=subject]").bounding_box()
    assert box and field and box["width"] < field["width"] / 4  # a small mark beside the caption, not a bar
    assert "建议" in await page.inner_text("li[data-field=enterprise_name]")
    assert "建议" not in await page.inner_text("li[data-field=category]")
    await screenshot(page, "draft-confidence-marks")
