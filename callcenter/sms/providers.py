"""The provider the settings ask for (the composition root's one SMS decision)."""

from __future__ import annotations

from callcenter.settings import Settings

from .aliyun_adapter import DEFAULT_ENDPOINT, AliyunSms
from .http import STATUS_PATH
from .log_provider import LogSms
from .port import SmsProvider
from .twilio_adapter import TwilioSms


def build_provider(settings: Settings) -> SmsProvider | None:
    """None when SMS is off: messages are still queued (and listed), and go out once it is on."""
    match settings.sms_provider:
        case "twilio":
            assert settings.twilio_account_sid and settings.twilio_from
            callback = f"{settings.public_url}{STATUS_PATH}" if settings.public_url else None
            return TwilioSms(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_from,
                             base_url=settings.twilio_api_base, status_callback=callback)
        case "aliyun":
            assert settings.aliyun_access_key_id and settings.aliyun_sign_name
            return AliyunSms(settings.aliyun_access_key_id, settings.aliyun_access_key_secret, settings.aliyun_sign_name,
                             settings.aliyun_templates, endpoint=settings.aliyun_endpoint or DEFAULT_ENDPOINT)
        case "log":
            return LogSms()
    return None
