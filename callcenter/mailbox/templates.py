"""The replies we mail to an enterprise, by the same template names and params as the SMS
(callcenter/sms/templates.py), so the same order events (sms/triggers.py) send both.

The subject carries the order number and the footer asks for replies to keep it: an answer then
finds its order by the number as well as by In-Reply-To/References.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from callcenter.sms.templates import SmsTemplate, TemplateError

SIGNATURE = "直通热线"
FOOTER = ("\n\n如需补充情况或材料，请直接回复本邮件，并保留主题中的工单号。\n"
          "本邮件由系统自动发送。\n{signature}")


@dataclass(frozen=True)
class MailTemplate:
    name: str
    subject: str
    body: str

    def render(self, params: Mapping[str, str], signature: str = SIGNATURE) -> tuple[str, str]:
        """(subject, body); raises TemplateError for missing, unknown or malformed params."""
        body = SmsTemplate(self.name, self.body).render(params)  # the SMS rules validate params
        subject = SmsTemplate(self.name, self.subject).render({k: params[k] for k in _fields(self.subject)})
        return f"【{signature}】{subject}", body + FOOTER.format(signature=signature)


def _fields(text: str) -> set[str]:
    return set(SmsTemplate("-", text).params)


MAIL_TEMPLATES: Mapping[str, MailTemplate] = {t.name: t for t in (
    MailTemplate("order_accepted", "您的来信已受理（工单号{order_no}）",
                 "您好：\n\n您通过政企服务邮箱反映的问题已受理，工单号{order_no}。"
                 "我们将于{due_date}前答复，请留意。"),
    MailTemplate("order_replied", "工单{order_no}已答复",
                 "您好：\n\n您的工单{order_no}已由承办单位答复，我们将尽快回访，请留意来电、短信或邮件。"),
    MailTemplate("order_closed", "工单{order_no}已办结",
                 "您好：\n\n您的工单{order_no}已办结，感谢您对热线工作的支持。"),
)}


def render_mail(name: str, params: Mapping[str, str], signature: str = SIGNATURE) -> tuple[str, str]:
    template = MAIL_TEMPLATES.get(name)
    if template is None:
        raise TemplateError(name, "no such mail template")
    return template.render(params, signature)
