"""The WeCom channel as the deployment configured it (see Settings.wecom_*)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from .crypto import WeComCrypto


@dataclass(frozen=True)
class CallbackConfig:
    crypto: WeComCrypto | None  # None: the callback is not configured and answers 404
    max_skew: timedelta = timedelta(minutes=5)  # how far a callback's timestamp may be from our clock
