"""The WeCom settings: off unless configured, all three callback secrets or none, a usable key."""

from __future__ import annotations

import pytest

from callcenter.settings import Settings, SettingsError

GOOD = {"ZHITONG_WECOM_TOKEN": "s3cretTok", "ZHITONG_WECOM_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "ZHITONG_WECOM_CORP_ID": "ww0123456789abcdef"}


def test_off_by_default_and_on_with_all_three() -> None:
    assert Settings.from_env({}).wecom_corp_id is None
    on = Settings.from_env({**GOOD, "ZHITONG_WECOM_API_BASE": "http://127.0.0.1:9/"})
    assert (on.wecom_token, on.wecom_corp_id, on.wecom_api_base) == ("s3cretTok", "ww0123456789abcdef", "http://127.0.0.1:9")
    assert "s3cretTok" not in repr(on) and GOOD["ZHITONG_WECOM_AES_KEY"] not in repr(on)


@pytest.mark.parametrize(("env", "says"), [
    ({"ZHITONG_WECOM_TOKEN": "s3cretTok"}, "ZHITONG_WECOM_AES_KEY"),
    ({**GOOD, "ZHITONG_WECOM_AES_KEY": "short"}, "43 characters"),
    ({**GOOD, "ZHITONG_WECOM_AES_KEY": "!" * 43}, "base64"),
    ({"ZHITONG_WECOM_API_BASE": "ftp://x"}, "http"),
])
def test_a_half_or_broken_configuration_is_refused_at_start(env: dict[str, str], says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        Settings.from_env(env)
