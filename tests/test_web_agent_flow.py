"""The agent's flow on the pages (issue 13, item 11): a draft's suggested unit is preselected for the
first dispatch, a merge links both ways, a direct answer is shown as the answer, the history reads
as a sentence, a fax draft is named 传真 and its content is said once, refused forms keep the input."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from tests.api_helpers import Api
from tests.page_helpers import fax_draft as draft
from tests.page_helpers import new_order, page, page_api
from tests.test_ui_chinese import visible


@pytest.fixture
async def api(db_url: str) -> AsyncIterator[Api]:
    async for a in page_api(db_url):
        yield a


async def fax_draft(api: Api) -> str:
    return await draft(api.client.server.app, api.clock())


async def test_a_fax_draft_is_named_fax_says_its_content_once_and_fills_the_contact(api: Api) -> None:
    number = await fax_draft(api)
    status, html = await page(api, "agent", f"/agent/drafts/{number}")
    assert status == 200
    text = visible(html)
    assert "传真" in text and "来信" not in text and "FROM" not in text
    assert "来源：传真识别文本" in text
    assert re.search(r'name="enterprise_contact_person" value="王经理"', html)
    content = re.search(r'<textarea name="content"[^>]*>(.*?)</textarea>', html, re.S)
    assert content and content[1].count("华翔路道路施工") == 1 and "【" not in content[1]
    status, body = await api.call("agent", "GET", f"/api/v1/orders/{number}")
    assert not body["subject"].startswith("1") and body["enterprise"]["contact_person"] == "王经理"


async def test_the_suggested_unit_is_preselected_for_the_first_dispatch_only(api: Api) -> None:
    number = await fax_draft(api)
    status, body = await api.call("agent", "GET", f"/api/v1/orders/{number}")
    await api.act("agent", number, "confirm", {"changes": {"enterprise": {**body["enterprise"], "phone": None}}})
    status, html = await page(api, "agent", f"/orders/{number}")
    jtj = api.units["区交通运输局"]
    assert re.search(rf'<option value="{jtj}"\s+selected>区交通运输局（系统建议）</option>', html), html
    await api.act("agent", number, "dispatch", {"lead_unit": jtj})
    await api.act("wang", number, "return", {"reason": "非本单位职责", "basis": "三定方案"})
    status, html = await page(api, "boss", f"/orders/{number}")
    assert 'data-action="redispatch"' in html and "系统建议" not in html and " selected>" not in html.split(
        'data-action="redispatch"')[1].split("</form>")[0]


async def test_a_merge_links_both_ways(api: Api) -> None:
    target = await new_order(api)
    draft = await fax_draft(api)
    await api.act("agent", draft, "merge", {"into": target})
    status, html = await page(api, "agent", f"/orders/{draft}")
    assert f'已合并至 <a href="/orders/{target}">{target}</a>' in html
    status, html = await page(api, "agent", f"/orders/{target}")
    assert re.search(rf'合并的工单</dt><dd class="merged-from"><a href="/orders/{draft}">{draft}</a>', html)


async def test_a_direct_answer_is_shown_as_the_answer(api: Api) -> None:
    number = await new_order(api, category="consultation")
    await api.act("agent", number, "answer-directly", {"answer": "高新技术企业认定每年受理一次。"})
    status, html = await page(api, "agent", f"/orders/{number}")
    assert '<h2>即时答复</h2><div class="content reply direct-answer">高新技术企业认定每年受理一次。</div>' in html


async def test_the_history_line_reads_as_a_sentence(api: Api) -> None:
    number = await new_order(api)
    await api.act("agent", number, "dispatch", {"lead_unit": api.units["区住建局"], "note": "请尽快核实"})
    status, html = await page(api, "agent", f"/orders/{number}")
    lines = [" ".join(visible(li).split()) for li in re.findall(r"<li><time>.*?</li>", html, re.S)]
    assert any(line.endswith("agent（受理员）派单：已登记 → 已派单（备注：请尽快核实）") for line in lines), lines
    assert not any("派单 ：" in line or "”" in line for line in lines)
    draft = await fax_draft(api)
    status, html = await page(api, "agent", f"/orders/{draft}")
    lines = [" ".join(visible(li).split()) for li in re.findall(r"<li><time>.*?</li>", html, re.S)]
    assert lines[0] == "2026-11-23 09:00 系统登记（草稿）"  # its content is the order's, shown once above
    assert "： →" not in html and "system" not in " ".join(lines)


async def test_a_refused_action_and_a_refused_confirmation_keep_the_input(api: Api) -> None:
    number = await new_order(api)
    await api.act("agent", number, "dispatch", {"lead_unit": api.units["区交通运输局"]})
    status, html = await page(api, "wang", f"/orders/{number}/act/return", {"reason": "非本单位职责", "basis": " "})
    assert status == 422 and "请填写政策依据" in html
    assert '<textarea name="reason" required>非本单位职责</textarea>' in html
    draft = await fax_draft(api)
    status, html = await page(api, "agent", f"/agent/drafts/{draft}/confirm", {
        "subject": "华翔路施工货车无法通行", "content": "内容", "category": "complaint", "urgency": "normal",
        "enterprise_name": "绵阳华翔物流有限公司", "enterprise_credit_code": "91350100M000100Y44",
        "enterprise_contact_person": "王经理", "enterprise_phone": ""})
    assert status == 422 and "统一社会信用代码" in html
    assert 'name="subject" value="华翔路施工货车无法通行"' in html and 'name="enterprise_credit_code" value="91350100M000100Y44"' in html
    assert re.search(r'<option value="complaint"\s+selected>', html)
