"""Chinese labels for the domain's values (the UI speaks Chinese; the code and API speak English)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from worksheet.model import Category, Channel, Rating, Role, Status, Urgency

STATUS: Mapping[str, str] = {
    Status.DRAFT: "草稿", Status.REGISTERED: "已登记", Status.DISPATCHED: "已派单", Status.RETURNED: "已回退",
    Status.HANDLING: "办理中", Status.EXTENSION_REQUESTED: "延期申请中", Status.REPLIED: "已答复待审核",
    Status.CALLBACK_PENDING: "待回访", Status.UNDER_REVIEW: "审核中", Status.CLOSED: "已办结",
    Status.MERGED: "已合并", Status.DISCARDED: "已作废", Status.RETURNED_TO_CITY: "已退回市级平台",
}
CATEGORY: Mapping[str, str] = {
    Category.CONSULTATION: "咨询", Category.HELP: "求助", Category.COMPLAINT: "投诉",
    Category.SUGGESTION: "意见建议", Category.REPORT: "举报反映",
}
CHANNEL: Mapping[str, str] = {
    Channel.PHONE: "电话", Channel.SMS: "短信", Channel.FAX: "传真", Channel.WEB: "网站", Channel.WECHAT: "微信",
    Channel.EMAIL: "邮件", Channel.WINDOW: "窗口", Channel.CITY_PLATFORM: "市级平台",
}
URGENCY: Mapping[str, str] = {Urgency.NORMAL: "一般", Urgency.URGENT: "紧急"}
RATING: Mapping[str, str] = {Rating.SATISFIED: "满意", Rating.BASICALLY_SATISFIED: "基本满意",
                             Rating.UNSATISFIED: "不满意"}
ROLE: Mapping[str, str] = {Role.AGENT: "受理员", Role.UNIT_HANDLER: "承办单位", Role.SUPERVISOR: "督办员",
                           Role.ADMIN: "管理员", Role.SYSTEM: "系统"}
ACTION: Mapping[str, str] = {
    "create": "登记", "confirm": "确认登记", "amend-draft": "补充草稿", "answer-directly": "即时答复",
    "dispatch": "派单", "redispatch": "重新派单", "accept": "签收", "return": "退回", "request-extension": "申请延期",
    "decide-extension": "审批延期", "reply": "答复", "check": "审核答复", "callback-result": "回访结果",
    "review": "复核", "close-policy-limited": "政策限制办结", "merge": "合并", "issue-card": "亮灯督办",
    "flag-duplicates": "疑似重复", "supplement": "补充信息", "discard": "作废",
    "dismiss-duplicates": "排除重复", "return-to-city": "退回市级平台",
}
CLOCK: Mapping[str, str] = {"handling": "办理时限", "return": "退回时限", "redispatch": "重派时限",
                            "contact": "联系时限", "answer": "答复时限", "redo": "重办时限"}
FIELD: Mapping[str, str] = {
    "category": "类别", "urgency": "紧急程度", "enterprise_name": "企业名称", "contact_phone": "联系电话", "contact_person": "联系人",
    "order_number": "工单号", "subject": "标题", "summary": "摘要", "suggested_unit": "建议承办单位",
}


# Form fields as the domain's messages name them, for the Chinese explanation of an error.
FORM_FIELD: Mapping[str, str] = {
    "reason": "理由", "basis": "政策依据", "content": "内容", "answer": "答复内容", "explanation": "说明",
    "text": "补充内容", "subject": "标题", "enterprise.name": "企业名称", "enterprise.phone": "联系电话",
    "enterprise.contact_person": "联系人", "lead_unit": "主办单位", "into": "合并目标工单", "note": "备注",
    "decision": "复核结论", "rating": "回访结果", "approve": "审批意见", "passed": "审核结论", "kind": "办理类型",
    "enterprise.credit_code": "统一社会信用代码", "co_units": "协办单位", "amount": "办理时限天数", "channel": "渠道",
    "category": "类别", "urgency": "紧急程度", "username": "用户名", "password": "密码", "role": "角色", "unit": "单位",
    "title": "标题", "body": "正文", "keywords": "关键词", "name": "名称", "day": "日期", "status": "状态",
}

# Handling kinds and time limits of the SLA presets (worksheet/presets/*.json), as the dispatch form names them.
HANDLING_KIND: Mapping[str, str] = {
    "simple": "简单事项", "general": "一般事项", "complex": "复杂事项", "historical": "历史遗留问题",
    "urgent": "紧急事项", "extended": "延期办理", "contact": "联系", "answer": "答复", "resolve": "办结",
    "return": "退回", "redispatch": "重新派单", "redo": "重办", "authority": "职责确认",
    "major_feedback": "重大事项反馈", "major_resolve": "重大事项办结", "consultation": "咨询答复",
}


# A call record's outcome (Asterisk's Cdr dispositions), and why a call ended without Asterisk
# saying when (callcenter/calls/record.py): the time shown is then the best known, not the exact one.
CALL_DISPOSITION: Mapping[str, str] = {
    "ANSWERED": "已接通", "NO ANSWER": "无人接听", "BUSY": "忙线", "FAILED": "未接通", "CONGESTION": "线路拥塞",
    "CANCEL": "已取消", "UNKNOWN": "结果不明",
}
CALL_END: Mapping[str, str] = {
    "pbx-restart": "交换机重启或停机，通话中断",
    "gone-while-disconnected": "与交换机断开期间结束，结束时间按恢复连接时刻记",
    "app-restart": "系统重启期间结束，结束时间按系统恢复时刻记",
}


# The board's problem lists: an outgoing SMS's delivery state, a fax's receipt state, and the last
# attempt of a callback survey nobody answered (worksheet.callbacks.Outcome).
SMS_DELIVERY: Mapping[str, str] = {"failed": "发送失败", "rejected": "被拒收", "undelivered": "未送达",
                                   "unknown": "结果不明"}
FAX_RECEIPT: Mapping[str, str] = {"failed": "接收失败", "error": "处理出错"}
CALLBACK_OUTCOME: Mapping[str, str] = {
    "busy": "忙线", "no_answer": "无人接听", "congestion": "线路拥塞", "failed": "未接通", "timeout": "呼叫超时",
    "answered_no_input": "接通未按键", "sms_unanswered": "短信未回复", "answered": "已接通",
}


# Why an inbound SMS could not be processed, by the error's class (the API keeps the English detail).
SMS_FAILURE: Mapping[str, str] = {"ValidationError": "内容不符合工单要求", "InvalidTransition": "工单当前状态不允许",
                                  "OrderNotFound": "关联的工单不存在", "NotPermitted": "无权执行此操作"}


def agent(member: object) -> str:
    """A queue member as the page names it: "坐席 1001" for Asterisk's "Agent 1001" or "PJSIP/agent1001"."""
    text = str(member or "")
    digits = re.findall(r"\d+", text)
    return f"坐席 {digits[-1]}" if digits else "坐席"


def label(table: Mapping[str, str], value: object) -> str:
    """The Chinese label, or the value itself for anything the table does not know."""
    return table.get(str(value), str(value)) if value is not None else ""

# The report's definitions as a supervisor reads them (the API carries the English ones).
RATE_DEFINITION: Mapping[str, str] = {
    "answer_rate": "本期呼入电话中，进入人工队列并由坐席接起的通话 ÷（进入人工队列的通话 + 未被交换机接通的通话）。"
                   "回访外呼、传真和仅在语音菜单中完成的通话不计入。",
    "on_time_rate": "本期办结、且经承办单位办理的工单中，每次答复（以及停止办理时限的办结）都不晚于当时有效办理时限的比例；"
                    "批准的延期和重办时限均计入。即时答复办结的工单不计入。",
    "satisfaction_rate": "本期记录的回访评价中，“满意”与“基本满意”所占比例（同一工单两次回访计两次）。",
    "return_rate": "本期退回次数 ÷ 本期派单与重新派单次数。",
    "extension_rate": "本期延期申请次数 ÷ 本期派单与重新派单次数。",
    "repeat_call_rate": "本期呼入语音通话中，号码在本期内此前已来电的通话所占比例（按号码后 11 位比对）。",
    "duplicate_order_rate": "本期受理工单中，被标记为疑似重复或已合并的工单所占比例。",
}
