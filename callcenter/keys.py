"""Typed application keys: the composition root puts services here, handlers read them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from callcenter.audit import AuditLog
from callcenter.auth.services import AuthService
from callcenter.calendar_overrides import CalendarOverrides
from callcenter.callbacks.services import CallbackService
from callcenter.calls.services import CallService
from callcenter.db.units import UnitRepository
from callcenter.demo.status import DemoStatus
from callcenter.fax.services import FaxService
from callcenter.http.client_address import TrustedProxies
from callcenter.orders.services import OrderService
from callcenter.sms.inbound import InboundSmsService
from callcenter.sms.services import SmsService
from callcenter.sms.webhooks import WebhookConfig
from callcenter.speech.hub import LiveHub
from callcenter.speech.live_drafts import LiveDrafts
from callcenter.speech.services import SpeechService
from callcenter.supervision.services import SupervisionService
from worksheet.deadlines import Policy

ORDERS = web.AppKey("orders", OrderService)
SUPERVISION = web.AppKey("supervision", SupervisionService)
AUTH = web.AppKey("auth", AuthService)
UNITS = web.AppKey("units", UnitRepository)
POLICY = web.AppKey("policy", Policy)
CLOCK = web.AppKey("clock", Callable[[], datetime])
CALLS = web.AppKey("calls", CallService)
SPEECH = web.AppKey("speech", SpeechService)
LIVE = web.AppKey("live", LiveHub)
LIVE_DRAFTS = web.AppKey("live_drafts", LiveDrafts)
SMS = web.AppKey("sms", SmsService)
SMS_INBOUND = web.AppKey("sms_inbound", InboundSmsService)
SMS_WEBHOOK = web.AppKey("sms_webhook", WebhookConfig)
FAXES = web.AppKey("faxes", FaxService)
AUDIT = web.AppKey("audit", AuditLog)
CALLBACKS = web.AppKey("callbacks", CallbackService)
CALENDAR = web.AppKey("calendar", CalendarOverrides)
TRUSTED_PROXIES = web.AppKey("trusted_proxies", TrustedProxies)
DEMO = web.AppKey("demo", DemoStatus)  # only with the simulated PBX of `serve --demo`
SECURE_COOKIES = web.AppKey("secure_cookies", bool)  # ZHITONG_PUBLIC_URL is https: Secure cookies
