"""Chinese labels for what reports show people: channels, categories, headline rates, columns.

Kept apart from the computations so the JSON keys stay stable English identifiers while the UI and
exports use one vocabulary (RULES.md's Chinese terms).
"""

from __future__ import annotations

from worksheet.model import CardColor, Category, Channel

CHANNELS: dict[str, str] = {
    Channel.PHONE: "热线电话", Channel.SMS: "短信", Channel.FAX: "传真", Channel.WEB: "网上留言",
    Channel.WECHAT: "微信群", Channel.EMAIL: "政企服务邮箱", Channel.WINDOW: "窗口",
    Channel.CITY_PLATFORM: "市级平台转办",
}
CATEGORIES: dict[str, str] = {
    Category.CONSULTATION: "咨询", Category.HELP: "求助", Category.COMPLAINT: "投诉",
    Category.SUGGESTION: "意见建议", Category.REPORT: "举报/反映",
}
RATES: dict[str, str] = {
    "answer_rate": "接通率", "on_time_rate": "按时办结率", "satisfaction_rate": "满意率",
    "return_rate": "退单率", "extension_rate": "延期率", "repeat_call_rate": "重复来电率",
    "duplicate_order_rate": "重复件率",
}
UNDISPATCHED = "未派单"
# RULES.md §5 calls the cards lights (红黄灯): one word for them on pages, exports and history notes.
CARDS: dict[str, str] = {CardColor.YELLOW: "黄灯", CardColor.RED: "红灯"}
