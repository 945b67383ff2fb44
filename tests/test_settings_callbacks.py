"""Survey calling windows and the scheduler's tick come from the environment."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from callcenter.settings import Settings, SettingsError
from worksheet.calendar import WorkingCalendar
from worksheet.callbacks import DEFAULT_WINDOWS, CallingWindows


def test_default_windows_and_tick() -> None:
    settings = Settings.from_env({})
    assert settings.callback_windows == () and settings.callback_tick_s == 30.0


def test_windows_from_the_environment_decide_when_surveys_ring() -> None:
    settings = Settings.from_env({"ZHITONG_CALLBACK_WINDOWS": "08:30-12:00, 13:30-21:00", "ZHITONG_CALLBACK_TICK_S": "5"})
    assert settings.callback_windows == ("08:30-12:00", "13:30-21:00") and settings.callback_tick_s == 5.0
    windows = CallingWindows(WorkingCalendar(), settings.callback_windows)
    at = datetime(2026, 12, 7, 20, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday, after the default 20:00
    assert windows.is_open(at) and not CallingWindows(WorkingCalendar(), DEFAULT_WINDOWS).is_open(at)
    assert [w.start for w in windows.windows] == [time(8, 30), time(13, 30)]


@pytest.mark.parametrize("raw", ["25:00-26:00", "12:00-09:00", "09:00-12:00,11:00-13:00", "morning"])
def test_bad_windows_are_a_settings_error(raw: str) -> None:
    with pytest.raises(SettingsError, match="ZHITONG_CALLBACK_WINDOWS"):
        Settings.from_env({"ZHITONG_CALLBACK_WINDOWS": raw})


def test_tick_is_kept_within_bounds() -> None:
    assert Settings.from_env({"ZHITONG_CALLBACK_TICK_S": "0"}).callback_tick_s == 1.0
    assert Settings.from_env({"ZHITONG_CALLBACK_TICK_S": "99999"}).callback_tick_s == 3600.0
