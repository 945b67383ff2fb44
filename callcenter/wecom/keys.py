"""Typed application keys of the WeCom channel, so the composition root adds a few lines."""

from __future__ import annotations

from aiohttp import web

from .config import CallbackConfig
from .inbound import WeComInbound
from .notifier import RobotNotifier
from .senders import SenderMap

WECOM_CALLBACK = web.AppKey("wecom_callback", CallbackConfig)
WECOM_INBOUND = web.AppKey("wecom_inbound", WeComInbound)
WECOM_NOTIFIER = web.AppKey("wecom_notifier", RobotNotifier)
WECOM_SENDERS = web.AppKey("wecom_senders", SenderMap)
