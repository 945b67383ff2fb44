"""Chinese SMS templates with named params, rendered and validated before anything is sent.

The texts mirror what would be registered with a mainland provider (Aliyun/Tencent approve a
fixed text with ``${name}`` variables), so the same name + params work for every adapter.
A single SMS segment holds 70 characters in UCS-2, and the signature (e.g. 【直通热线】) that
carriers prepend counts towards it: each text plus realistic params stays within one segment.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from callcenter.sms.port import OutboundSms

SEGMENT_CHARS = 70  # one UCS-2 SMS segment
DEFAULT_SIGNATURE = "【直通热线】"
MAX_PARAM_CHARS = 35  # mainland providers cap a template variable at about this length


class TemplateError(Exception):
    """A message that must not be sent as is: unknown template or bad params. A caller's bug."""

    error_id = "sms-template-invalid"

    def __init__(self, template: str, detail: str) -> None:
        super().__init__(f"{template}: {detail}")
        self.template = template
        self.detail = detail


@dataclass(frozen=True)
class SmsTemplate:
    name: str
    text: str  # str.format placeholders, e.g. "工单号{order_no}"

    @property
    def params(self) -> frozenset[str]:
        return frozenset(field for _, field, _, _ in string.Formatter().parse(self.text) if field)

    def render(self, params: Mapping[str, str]) -> str:
        missing = self.params - params.keys()
        if missing:
            raise TemplateError(self.name, f"missing params: {', '.join(sorted(missing))}")
        unknown = params.keys() - self.params
        if unknown:  # a typo here would otherwise be silently dropped
            raise TemplateError(self.name, f"unknown params: {', '.join(sorted(unknown))}")
        for key in self.params:
            value = params[key]
            if not isinstance(value, str) or not value.strip():
                raise TemplateError(self.name, f"param {key} must be a non-empty string")
            if len(value) > MAX_PARAM_CHARS or "\n" in value or "\r" in value:
                raise TemplateError(self.name, f"param {key} is too long or spans lines")
        return self.text.format_map({key: params[key] for key in self.params})


TEMPLATES: Mapping[str, SmsTemplate] = {
    t.name: t
    for t in (
        # 受理: the caller gets the order number and the date by which the unit must reply.
        SmsTemplate("order_accepted", "您反映的问题已受理，工单号{order_no}，我们将于{due_date}前答复，请留意。"),
        # Faxes become drafts first; the sender only learns the draft number until an agent registers it.
        SmsTemplate("fax_received", "您的传真已收到，草稿编号{draft_no}，工作人员将尽快登记处理。"),
        SmsTemplate("order_replied", "您的工单{order_no}已由承办单位答复，我们将尽快回访，请留意来电或短信。"),
        SmsTemplate("order_closed", "您的工单{order_no}已办结，感谢您对热线工作的支持。"),
        # The reply is matched back to the order by the sender's number (see webhooks.parse_survey_reply).
        SmsTemplate("survey", "请评价工单{order_no}的办理情况：回复1满意，2基本满意，3不满意。"),
        # The enterprise portal (callcenter/portal): the code proving a mobile number, and the receipt.
        SmsTemplate("portal_code", "您的验证码为{code}，{minutes}分钟内有效。请勿告诉他人，工作人员不会向您索取。"),
        SmsTemplate("portal_received", "您的网上留言已收到，编号{draft_no}，工作人员将尽快登记处理。"),
        # To an enterprise's liaison officer (帮扶专员): a new order or an overdue card (event words).
        SmsTemplate("liaison_notice", "您帮扶企业的工单{order_no}{event}，请登录直通平台查看。"),
    )
}


def get_template(name: str) -> SmsTemplate:
    try:
        return TEMPLATES[name]
    except KeyError:
        raise TemplateError(name, "no such template") from None


def render(name: str, params: Mapping[str, str]) -> str:
    return get_template(name).render(params)


def build_sms(to: str, name: str, params: Mapping[str, str], *, idempotency_key: str) -> OutboundSms:
    """A validated message, ready for any provider: raises TemplateError rather than send a broken text."""
    text = render(name, params)
    return OutboundSms(to=to, template=name, params=dict(params), text=text, idempotency_key=idempotency_key)


def segment_length(text: str, *, signature: str = DEFAULT_SIGNATURE) -> int:
    """Characters counted against the 70-character segment, signature included."""
    return len(signature) + len(text)
