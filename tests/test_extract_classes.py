"""Category classes of RULES section 2 that unseen calls got wrong (issue 14): one test a class."""

from __future__ import annotations

import pytest

from worksheet.extract import extract_draft
from worksheet.model import Category, Urgency


def classify(text: str) -> tuple[Category, Urgency]:
    d = extract_draft(text)
    return d.category.value, d.urgency.value  # type: ignore[return-value]


@pytest.mark.parametrize("text", [
    "我们 厂 后面 燃气 管道 一直 有 煤气 味 想 跟 你们 反映 一下",
    "车间 闻到 一股 天然气 的 味道 你们 快 找 人 来 看 一下 帮 帮忙",
    "旁边 那 栋 老 楼 墙 上 裂 了 好 大 的 缝 感觉 随时 要 塌",
    "仓库 堆 了 好多 油漆 消防 通道 都 堵 死 了 有 火灾 隐患",
])
def test_a_hazard_reported_by_phone_is_an_urgent_report(text: str) -> None:
    assert classify(text) == (Category.REPORT, Urgency.URGENT)


def test_an_accident_with_a_call_for_rescue_stays_a_help_request() -> None:
    assert classify("隔壁 的 厂 着火 了 烟 很 大 请 赶快 派 人")[0] is Category.HELP


@pytest.mark.parametrize("text", [
    "政务 服务 中心 窗口 的 工作人员 态度 特别 差 材料 没 看 完 就 让 我 回去",
    "去 大厅 办 事 窗口 的 人 说话 很 冲 来回 跑 了 四 趟 这个 服务 太 差 了",
    "窗口 一直 推 来 推 去 说 不 归 他们 管",
])
def test_window_staff_conduct_is_a_complaint(text: str) -> None:
    assert classify(text)[0] is Category.COMPLAINT


@pytest.mark.parametrize("text", [
    "施工许可 审批 卡 在 那里 两 个 月 了 想 请 你们 帮 我们 协调 一下 加快 办理",
    "项目 的 竣工 验收 备案 卡 住 了 请 你们 协调 一下",
])
def test_coordinating_a_stuck_approval_is_a_help_request(text: str) -> None:
    assert classify(text)[0] is Category.HELP


@pytest.mark.parametrize("text", [
    "之前 报 的 那个 工单 二零二六 幺幺幺零 零零零九 处理 得 怎么样 了",
    "我 上 个 月 反映 的 那个 事情 现在 有 进展 没有",
    "前 几天 投诉 的 那个 单子 办 到 哪 了",
])
def test_asking_how_an_order_stands_is_a_consultation(text: str) -> None:
    assert classify(text)[0] is Category.CONSULTATION
