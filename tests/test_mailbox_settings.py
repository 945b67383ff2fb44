"""The mailbox's settings: off unless configured, clear errors for half a configuration."""

from __future__ import annotations

import pytest

from callcenter.settings import Settings, SettingsError

BASE = {"ZHITONG_MAIL_IMAP_HOST": "imap.example.gov.cn", "ZHITONG_MAIL_USER": "hotline@example.gov.cn",
        "ZHITONG_MAIL_PASSWORD": "s3cret"}


def test_off_unless_an_imap_host_is_configured() -> None:
    assert Settings.from_env({}).mail is None
    assert Settings.from_env({"ZHITONG_MAIL_USER": "x", "ZHITONG_MAIL_PASSWORD": "y"}).mail is None


def test_defaults_are_tls_and_the_password_never_shows() -> None:
    mail = Settings.from_env(BASE).mail
    assert mail is not None
    assert (mail.imap_port, mail.imap_tls, mail.folder, mail.poll_interval_s) == (993, "ssl", "INBOX", 60.0)
    assert mail.address == "hotline@example.gov.cn" and not mail.sends
    assert "s3cret" not in repr(mail) and "s3cret" not in repr(Settings.from_env(BASE))


def test_smtp_settings_default_to_the_imap_account() -> None:
    mail = Settings.from_env({**BASE, "ZHITONG_MAIL_SMTP_HOST": "smtp.example.gov.cn", "ZHITONG_MAIL_SMTP_TLS": "starttls"}).mail
    assert mail is not None and mail.sends
    assert (mail.smtp_port, mail.smtp_user, mail.smtp_password) == (587, "hotline@example.gov.cn", "s3cret")


@pytest.mark.parametrize("env, message", [
    ({"ZHITONG_MAIL_IMAP_HOST": "imap.example.gov.cn"}, "ZHITONG_MAIL_USER and ZHITONG_MAIL_PASSWORD"),
    ({**BASE, "ZHITONG_MAIL_IMAP_TLS": "maybe"}, "ZHITONG_MAIL_IMAP_TLS must be one of"),
    ({**BASE, "ZHITONG_MAIL_USER": "hotline", "ZHITONG_MAIL_SMTP_HOST": "smtp.x"}, "ZHITONG_MAIL_ADDRESS"),
    ({**BASE, "ZHITONG_MAIL_POLL_SECONDS": "1"}, "between 5 and 1740"),
    ({**BASE, "ZHITONG_MAIL_POLL_SECONDS": "often"}, "must be an integer"),
    ({**BASE, "ZHITONG_MAIL_MAX_MB": "0"}, "between 1 and 200"),
])
def test_half_a_configuration_is_a_clear_error(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)
