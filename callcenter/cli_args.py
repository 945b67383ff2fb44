"""Argument types shared by the `zhitong` subcommands."""

from __future__ import annotations

import argparse
from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def iso_time(value: str) -> datetime:
    """ISO 8601; a time without an offset is read as Asia/Shanghai (the hotline's zone)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=SHANGHAI)
