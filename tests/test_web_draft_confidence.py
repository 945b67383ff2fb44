"""A draft shows which extracted fields are confident (no mark) and which are suggestions to check
(「建议」), on the page and in the API (issue 14, item 3)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from callcenter.web.views_agent import _unsure_inputs
from tests.api_helpers import Api
from tests.page_helpers import fax_draft, page, page_api

TEXT = "我们是绵阳长城机械有限公司的，我要投诉政务大厅窗口的工作人员态度很差，来回跑了四趟，我姓张"


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[Api]:
    async for a in page_api(db_url):
        yield a


def label(html: str, name: str) -> str:
    """The form label holding the input or select ``name``, up to the control."""
    found = re.search(rf'<label>((?:(?!</label>).)*?) <(?:input|select) name="{name}"', html)
    assert found, name
    return found.group(1)


async def test_confident_and_suggested_fields_are_marked_apart(api: Api) -> None:
    number = await fax_draft(api.client.server.app, api.clock(), TEXT)
    status, body = await api.call("agent", "GET", f"/api/v1/orders/{number}")
    assert status == 200
    fields = body["suggestion"]["fields"]
    assert fields["category"]["value"] == "complaint" and fields["category"]["confident"] is True
    assert fields["category"]["confidence"] >= 0.95
    # A company the directory does not know, read from the text: a guess for the agent to check.
    assert fields["enterprise_name"]["value"] and fields["enterprise_name"]["confident"] is False

    status, html = await page(api, "agent", f"/agent/drafts/{number}")
    assert status == 200
    assert "建议" not in label(html, "category")
    assert "建议" in label(html, "subject")  # filled in, never calibrated: a suggestion
    # Too unsure to be filled in: the form shows the fax's own sender, which carries no mark.
    assert "建议" not in label(html, "enterprise_name")
    assert re.search(r'<li data-field="category" data-confident="yes">(?:(?!</li>).)*</li>', html)
    assert re.search(r'<li data-field="enterprise_name" data-confident="no">(?:(?!</li>).)*建议', html)


def test_a_suggestion_stored_before_calibration_is_all_suggestions() -> None:
    old = {"category": {"value": "help", "confidence": 0.9, "span": None},
           "subject": {"value": "路口限高", "confidence": 0.5, "span": None}, "order_number": {"value": None}}
    assert _unsure_inputs(old, {"category": "help", "subject": "路口限高"}) == {"category", "subject"}
    # The agent's own text is not the extractor's suggestion.
    assert _unsure_inputs(old, {"category": "help", "subject": "华翔路限高杆"}) == {"category"}
