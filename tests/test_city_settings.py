"""The city channel's settings: off unless configured, both values or neither, strong secrets."""

from __future__ import annotations

import pytest

from callcenter.settings import Settings, SettingsError

GOOD = "a" * 32


def test_off_by_default() -> None:
    s = Settings.from_env({})
    assert (s.city_secrets, s.city_base_url) == ((), None)


def test_on_with_a_secret_and_a_base_url_and_two_secrets_while_rotating() -> None:
    s = Settings.from_env({"ZHITONG_CITY_SECRETS": f"{GOOD}, {'b' * 40}",
                           "ZHITONG_CITY_BASE_URL": "https://12345.example.gov.cn/district/"})
    assert s.city_secrets == (GOOD, "b" * 40) and s.city_base_url == "https://12345.example.gov.cn/district"
    assert GOOD not in repr(s)  # secrets stay out of logs


@pytest.mark.parametrize(("env", "says"), [
    ({"ZHITONG_CITY_SECRETS": GOOD}, "both"),
    ({"ZHITONG_CITY_BASE_URL": "https://x.example"}, "both"),
    ({"ZHITONG_CITY_SECRETS": "short", "ZHITONG_CITY_BASE_URL": "https://x.example"}, "32 characters"),
    ({"ZHITONG_CITY_SECRETS": f"{GOOD},{GOOD},{GOOD}", "ZHITONG_CITY_BASE_URL": "https://x.example"}, "two"),
    ({"ZHITONG_CITY_SECRETS": GOOD, "ZHITONG_CITY_BASE_URL": "ftp://x.example"}, "http"),
])
def test_half_or_weak_configurations_stop_the_start(env: dict[str, str], says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        Settings.from_env(env)
