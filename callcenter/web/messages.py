"""What a person is told about an error, in Chinese: the one place that maps every typed error to
its user message, by the error's stable `error_id`.

The API keeps the English detail (it is for programs and the log). A page shows the Chinese message
for the error's id; for the generic `validation-failed` the known wordings of the detail are
explained field by field, and any other wording gets a general Chinese sentence, never the English.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from callcenter.blobs.sniff import ACCEPTED

from .labels import FORM_FIELD

# Errors whose message is complete without the detail.
BY_ID: Mapping[str, str] = {
    "version-conflict": "工单已被他人更新，请刷新页面后重试",
    "window-closed": "已超过时限，不能执行此操作",
    "not-permitted": "您无权执行此操作",
    "invalid-transition": "工单当前状态不允许此操作",
    "order-not-found": "没有找到该工单，或您无权查看",
    "call-not-found": "没有找到该通话",
    "kb-article-not-found": "没有找到该知识库条目",
    "duplicate-user": "用户名已存在，请换一个",
    "user-not-found": "没有这个用户",
    "last-admin": "这是最后一位启用中的管理员，不能停用或改为其他角色；请先让另一位用户成为管理员。",
    "unsupported-file-type": f"不支持的文件类型：只接受{ACCEPTED}",
    "file-too-large": "附件过大或过多，请压缩或分次上传",
    "upload-quota-exceeded": "今天上传但尚未登记的附件过多，请先登记工单",
    "unknown-attachment": "附件无效，请重新上传",
    "attachment-not-found": "附件不存在",
    "attachment-unavailable": "附件暂时无法读取，请稍后重试",
    "unknown-preset": "未知的时限方案",
    "unknown-time-limit": "该办理类型在当前时限方案中不存在，请重新选择",
    "calendar-data-missing": "缺少该年度的节假日数据，请先在工作日历中补充",
    "invalid-characters": "提交的内容中含有无法处理的字符（例如不可见的控制字符），请检查后重试",
    "login-throttled": "登录尝试过于频繁，请稍后再试",
    "login-busy": "系统繁忙，请稍后再试",
    "bad-credentials": "用户名或密码错误",
    "login-refused": "该账号不能登录",
}
# The prefix for errors whose detail is explained after it.
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")
PREFIX: Mapping[str, str] = {"validation-failed": "填写有误：", "invalid-credit-code": "填写有误：统一社会信用代码"}
GENERAL = "提交的内容不符合要求，请检查后重试"
FALLBACK = "操作未完成，请检查后重试"



def field(name: str) -> str:
    return FORM_FIELD.get(name, "必填项")


Explain = Callable[[re.Match[str]], str]
# Known wordings of a ValidationError's detail (raised across the domain, the services and the forms).
VALIDATION: tuple[tuple[re.Pattern[str], Explain], ...] = tuple((re.compile(p), f) for p, f in (
    (r"^(\S+) (?:is required|must be chosen|is a required string|must be a non-empty string)\b",
     lambda m: f"请填写{field(m[1])}"),
    (r"^(\S+) is longer than (\d+) characters$", lambda m: f"{field(m[1])}不能超过 {m[2]} 个字"),
    (r"^(\S+) must be a whole number$", lambda m: f"{field(m[1])}应为整数"),
    (r"^version ", lambda m: "页面已过期，请刷新页面后重试"),
    (r"^a unit handler must be bound to an existing unit$", lambda m: "承办单位账号须选择一个已有的单位"),
    (r"^only unit handlers are bound to a unit$", lambda m: "只有承办单位账号需要选择单位，其他角色请留空"),
    (r"^username must be", lambda m: "用户名须为 1–64 个字符，不含空格"),
    (r"^role must be one of", lambda m: "请选择角色"),
    (r"^password must have at least (\d+) characters$", lambda m: f"密码至少需要 {m[1]} 个字符"),
    (r"^unknown unit '", lambda m: "所选单位不存在，请从列表中选择"),
    (r"^kind '.*' is not a handling kind", lambda m: "办理类型不适用于当前时限方案，请重新选择"),
    (r"^amount must be between (\d+) and (\d+) working_days", lambda m: f"办理时限应在 {m[1]}–{m[2]} 个工作日之间"),
    (r"^this limit is fixed at (\d+) working_days", lambda m: f"该办理类型的时限固定为 {m[1]} 个工作日，不能另填"),
    (r"^an order cannot be merged into itself$", lambda m: "不能合并到工单自身"),
    (r"^order (\S+) was itself merged into (\S+)$", lambda m: f"工单 {m[1]} 已合并至 {m[2]}，请直接合并到 {m[2]}"),
    (r"^order (\S+) is not flagged as a possible duplicate", lambda m: f"工单 {m[1]} 不在疑似重复列表中，请刷新页面"),
    (r"^numbers: at least one order number", lambda m: "请选择要排除的疑似重复工单"),
    (r"^decision must be ", lambda m: "请选择复核结论"),
    (r"^received_at lies in the future$", lambda m: "受理时间不能晚于当前时间"),
    (r"^enterprise\.phone may contain only", lambda m: "联系电话只能包含数字、空格、+、- 和括号"),
    (r"^(\S+) may hold at most (\d+) attachments$", lambda m: f"附件最多 {m[2]} 个"),
    (r"^(channel|category|urgency|status|kind|rating) must be one of", lambda m: f"请从列表中选择{field(m[1])}"),
    (r"^at most (\d+) keywords of at most (\d+) characters", lambda m: f"关键词最多 {m[1]} 个，每个不超过 {m[2]} 个字"),
    (r"^credit code must have 18 characters, got (\d+)$", lambda m: f"应为 18 位，现为 {m[1]} 位"),
    (r"^credit code contains characters not allowed by GB 32100-2015: (.*)$",
     lambda m: f"含有国家标准不允许的字符：{m[1]}"),
    (r"^credit code check character is '(.)', expected '(.)'$",
     lambda m: f"校验位有误：末位为 {m[1]}，按前 17 位计算应为 {m[2]}"),
    # The report periods' own messages are Chinese, but this one lists the API's codes as well.
    (r"^统计周期“(.*)”无法识别", lambda m: f"统计周期“{m[1]}”无法识别，请选择日报、周报、月报、季报或年报"),
    (r"^day must lie between (\d+) and (\d+)$", lambda m: f"日期应在 {m[1]}–{m[2]} 年之间"),
    (r"^name is required \(at most (\d+) characters\)", lambda m: f"请填写名称（不超过 {m[1]} 个字），如 春节 或 春节调休"),
))


def explain(detail: str) -> str:
    """A validation detail in Chinese; a wording not listed here gets the general sentence."""
    for pattern, say in VALIDATION:
        if m := pattern.match(detail):
            return say(m)
    if _CJK.search(detail) and not _LATIN_WORD.search(detail):
        return detail  # written in Chinese already (e.g. the report periods')
    return GENERAL


def user_message(exc: BaseException) -> str:
    """The Chinese message for a typed error (never its English detail)."""
    error_id = str(getattr(exc, "error_id", ""))
    if isinstance(zh := getattr(exc, "zh", None), str):
        return zh  # the error carries its own Chinese explanation (an account rule)
    if error_id in BY_ID:
        return BY_ID[error_id]
    if error_id in PREFIX:
        return PREFIX[error_id] + explain(str(getattr(exc, "detail", "") or exc))
    return FALLBACK
