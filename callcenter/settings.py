"""Deployment settings, read once from the environment (secrets only from there)."""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from callcenter.mailbox.config import MailSettings, MailSettingsError
from ivr.peers import Network, parse_networks
from worksheet.calendar import WorkingCalendar
from worksheet.callbacks import CallingWindows, InvalidCallbackConfig

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/zhitong.sqlite3"
DEFAULT_FAX_INCOMING_DIR = "/var/spool/asterisk/zhitong/fax"  # ZT_FAXDIR in the Asterisk dialplan
DEFAULT_RECORDINGS_DIR = "/var/spool/asterisk/zhitong/recordings"  # ZT_RECDIR in the Asterisk dialplan
DEMO_RECORDINGS_DIR = "var/demo/recordings"


class SettingsError(Exception):
    error_id = "bad-settings"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    sla_preset: str = "yicheng-2021"
    preset_files: tuple[str, ...] = ()
    calendar_overrides: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    admin_password: str | None = field(default=None, repr=False)
    admin_password_file: str | None = None  # where a generated first-admin password is saved (0600)
    duplicate_window: timedelta = timedelta(days=30)
    token_lifetime: timedelta = timedelta(hours=12)
    # Logins: argon2 threads (0 = one per CPU but one) and how many logins may wait for them; the
    # throttle's locks (failures per account, per client address, and for how long); the reverse
    # proxies whose X-Forwarded-For names the client (IP addresses or networks).
    login_workers: int = 0
    login_queue: int = 32
    login_lock_after: int = 10
    login_address_lock_after: int = 50
    login_lock_minutes: int = 15
    trusted_proxies: tuple[str, ...] = ()
    # Telephony. No AMI host = no AMI client (``serve --demo`` points it at the PBX simulator).
    ami_host: str | None = None
    ami_port: int = 5038
    ami_username: str = "zhitong"
    ami_secret: str = field(default="", repr=False)
    ami_auth: str = "md5"
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573  # 0 = no FastAGI server
    # FastAGI and AudioSocket have no authentication: who may connect (empty = anyone who can reach
    # the port; a warning at start-up when such a listener is not on loopback).
    agi_allowed_peers: tuple[Network, ...] = ()
    audiosocket_allowed_peers: tuple[Network, ...] = ()
    pbx_timezone: str = "UTC"  # the zone of naive times in Cdr/CEL events (Asterisk's local time)
    # Speech. "off" disables it; otherwise a missing or damaged model logs "speech disabled".
    speech: str = "on"
    asr_model: str | None = None  # explicit model folder (else asr_models/ or ../shared/asr_models/)
    asr_workers: int = 0  # decoder workers; 0 = one per CPU
    audiosocket_host: str = "127.0.0.1"
    audiosocket_port: int = 9092  # 0 = no AudioSocket server (live transcription)
    # Satisfaction callbacks: the dial string ({phone} is the order's phone, digits only).
    callback_channel: str = "Local/{phone}@outbound"
    # When surveys may ring (Asia/Shanghai, working days), e.g. ("09:00-12:00", "14:00-20:00").
    callback_windows: tuple[str, ...] = ()  # () = the built-in windows
    callback_tick_s: float = 30.0  # how often due surveys are looked for
    # SMS: "auto" = Twilio when an account is configured, else off (queued, not sent); "log" only
    # logs (masked) and marks messages sent, for the demo.
    sms: str = "auto"
    twilio_account_sid: str | None = None
    twilio_auth_token: str = field(default="", repr=False)
    twilio_from: str | None = None
    twilio_api_base: str | None = None  # another Messages API base (a local fake in tests)
    # Aliyun (mainland numbers): registered templates by our template name, e.g. {"survey": "SMS_1234"}.
    aliyun_access_key_id: str | None = None
    aliyun_access_key_secret: str = field(default="", repr=False)
    aliyun_sign_name: str | None = None
    aliyun_templates: Mapping[str, str] = field(default_factory=dict)
    aliyun_endpoint: str | None = None
    aliyun_report_token: str = field(default="", repr=False)  # the secret path segment of the report webhook
    # The public base URL Twilio calls (https://hotline.example.gov.cn): signatures are computed
    # over it, and status callbacks point at it. Unset: the URL the request arrived on.
    public_url: str | None = None
    sms_append_window: timedelta = timedelta(hours=72)
    sms_per_number_hour: int = 5
    # Fax: where Asterisk's ReceiveFAX files are visible to us (a shared volume), where we keep ours.
    fax_incoming_dir: str = DEFAULT_FAX_INCOMING_DIR
    fax_store_dir: str = "var/fax"
    fax_ocr: str = "on"
    # Files: where Asterisk's recordings are visible to us (only file names it reports are used),
    # where we keep our own blobs (uploads, faxes), and the largest upload accepted.
    recordings_dir: str = DEFAULT_RECORDINGS_DIR
    blob_dir: str = "var/blobs"
    upload_max_bytes: int = 20 << 20
    # The public enterprise portal (网上留言) under /portal: "off" unless turned on; it sends its
    # verification codes through the SMS provider.
    portal: str = "off"
    # The service mailbox (政企服务邮箱): None = off (no ZHITONG_MAIL_IMAP_HOST).
    mail: MailSettings | None = None
    # The city 12345 platform (docs/city-platform.md): off unless secrets are set. The first secret
    # signs our updates; every one verifies the city's requests (two while a secret is rotated).
    city_secrets: tuple[str, ...] = field(default=(), repr=False)
    city_base_url: str | None = None
    # WeCom (企业微信): the self-built app's callback (Token, EncodingAESKey and CorpID: all three or
    # none = no callback), optionally its AgentID; the group robots' API base (a local fake in tests).
    wecom_token: str = field(default="", repr=False)
    wecom_aes_key: str = field(default="", repr=False)
    wecom_corp_id: str | None = None
    wecom_agent_id: str | None = None
    wecom_api_base: str = "https://qyapi.weixin.qq.com"

    def for_demo(self) -> Settings:
        """The demo with its simulated PBX: SMS go to the log unless a provider is configured, and
        the simulator's fax spool is a local folder unless one was set."""
        if self.ami_host is not None:
            return self
        spool = "var/demo/fax-spool" if self.fax_incoming_dir == DEFAULT_FAX_INCOMING_DIR else self.fax_incoming_dir
        recordings = DEMO_RECORDINGS_DIR if self.recordings_dir == DEFAULT_RECORDINGS_DIR else self.recordings_dir
        return replace(self, sms="log" if self.sms_provider == "off" else self.sms, fax_incoming_dir=spool,
                       recordings_dir=recordings)

    @property
    def sms_provider(self) -> str:
        """The provider actually used: twilio, log or off."""
        if self.sms == "auto":
            return "twilio" if self.twilio_account_sid else "off"
        return self.sms

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env

        def number(name: str, default: int) -> int:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                return int(raw)
            except ValueError:
                raise SettingsError(f"{name} must be an integer, got {raw!r}") from None

        files = tuple(p for p in env.get("ZHITONG_SLA_PRESET_FILES", "").split(os.pathsep) if p)
        return cls(
            database_url=env.get("ZHITONG_DATABASE_URL") or DEFAULT_DATABASE_URL,
            sla_preset=env.get("ZHITONG_SLA_PRESET") or "yicheng-2021",
            preset_files=files,
            calendar_overrides=env.get("ZHITONG_CALENDAR_OVERRIDES") or None,
            host=env.get("ZHITONG_HOST") or "127.0.0.1",
            port=number("ZHITONG_PORT", 8080),
            admin_password=env.get("ZHITONG_ADMIN_PASSWORD") or None,
            admin_password_file=env.get("ZHITONG_ADMIN_PASSWORD_FILE") or None,
            duplicate_window=timedelta(days=number("ZHITONG_DUPLICATE_WINDOW_DAYS", 30)),
            token_lifetime=timedelta(hours=number("ZHITONG_TOKEN_HOURS", 12)),
            ami_host=env.get("ZHITONG_AMI_HOST") or None,
            ami_port=number("ZHITONG_AMI_PORT", 5038),
            ami_username=env.get("ZHITONG_AMI_USERNAME") or "zhitong",
            ami_secret=env.get("ZHITONG_AMI_SECRET") or "",
            ami_auth=_choice(env, "ZHITONG_AMI_AUTH", ("md5", "plain"), "md5"),
            agi_host=env.get("ZHITONG_AGI_HOST") or "127.0.0.1",
            agi_port=number("ZHITONG_AGI_PORT", 4573),
            agi_allowed_peers=_networks(env, "ZHITONG_AGI_ALLOWED_PEERS"),
            audiosocket_allowed_peers=_networks(env, "ZHITONG_AUDIOSOCKET_ALLOWED_PEERS"),
            pbx_timezone=_timezone(env.get("ZHITONG_PBX_TIMEZONE") or "UTC"),
            speech=_choice(env, "ZHITONG_SPEECH", ("on", "off"), "on"),
            asr_model=env.get("ZHITONG_ASR_MODEL") or None,
            asr_workers=number("ZHITONG_ASR_WORKERS", 0),
            audiosocket_host=env.get("ZHITONG_AUDIOSOCKET_HOST") or "127.0.0.1",
            audiosocket_port=number("ZHITONG_AUDIOSOCKET_PORT", 9092),
            callback_channel=_dial_template(env.get("ZHITONG_CALLBACK_CHANNEL") or "Local/{phone}@outbound"),
            callback_windows=_calling_windows(env.get("ZHITONG_CALLBACK_WINDOWS") or ""),
            callback_tick_s=float(min(max(number("ZHITONG_CALLBACK_TICK_S", 30), 1), 3600)),
            recordings_dir=env.get("ZHITONG_RECORDINGS_DIR") or DEFAULT_RECORDINGS_DIR,
            blob_dir=env.get("ZHITONG_BLOB_DIR") or "var/blobs",
            upload_max_bytes=_upload_limit(number("ZHITONG_UPLOAD_MAX_MB", 20)),
            portal=_choice(env, "ZHITONG_PORTAL", ("on", "off"), "off"),
            **_login(env, number),
            **_messaging(env, number),
            mail=_mail(env),
            **_city(env),
            **_wecom(env),
        )


def _mail(env: Mapping[str, str]) -> MailSettings | None:
    try:
        return MailSettings.from_env(env)
    except MailSettingsError as exc:
        raise SettingsError(str(exc)) from None


def _choice(env: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _upload_limit(megabytes: int) -> int:
    if not 1 <= megabytes <= 500:
        raise SettingsError(f"ZHITONG_UPLOAD_MAX_MB must be between 1 and 500, got {megabytes}")
    return megabytes << 20


def _networks(env: Mapping[str, str], name: str) -> tuple[Network, ...]:
    try:
        return parse_networks(env.get(name) or "")
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc} (use addresses or CIDRs, e.g. 10.0.0.5,192.168.10.0/24)") from None


def _dial_template(value: str) -> str:
    if "{phone}" not in value or any(ch in value for ch in "\r\n"):
        raise SettingsError(f"ZHITONG_CALLBACK_CHANNEL must contain {{phone}}, e.g. PJSIP/{{phone}}@carrier; got {value!r}")
    return value


def _calling_windows(raw: str) -> tuple[str, ...]:
    windows = tuple(w.strip() for w in raw.split(",") if w.strip())
    if windows:
        try:
            CallingWindows(WorkingCalendar(), windows)
        except InvalidCallbackConfig as exc:
            raise SettingsError(f"ZHITONG_CALLBACK_WINDOWS: {exc} (e.g. 09:00-12:00,14:00-20:00)") from None
    return windows


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"ZHITONG_PBX_TIMEZONE is not a known time zone: {name!r}") from None
    return name


def _login(env: Mapping[str, str], number: Callable[[str, int], int]) -> dict[str, Any]:
    values = {"login_workers": number("ZHITONG_LOGIN_WORKERS", 0), "login_queue": number("ZHITONG_LOGIN_QUEUE", 32),
              "login_lock_after": number("ZHITONG_LOGIN_LOCK_AFTER", 10),
              "login_address_lock_after": number("ZHITONG_LOGIN_ADDRESS_LOCK_AFTER", 50),
              "login_lock_minutes": number("ZHITONG_LOGIN_LOCK_MINUTES", 15)}
    for name, value in values.items():
        if value < (0 if name in ("login_workers", "login_queue") else 1):
            raise SettingsError(f"ZHITONG_{name.upper()} must not be {value}")
    proxies = tuple(p for p in (env.get("ZHITONG_TRUSTED_PROXIES") or "").replace(",", " ").split() if p)
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise SettingsError(f"ZHITONG_TRUSTED_PROXIES: not an IP address or network: {proxy!r}") from None
    return {**values, "trusted_proxies": proxies}


def _messaging(env: Mapping[str, str], number: Callable[[str, int], int]) -> dict[str, Any]:
    sms = _choice(env, "ZHITONG_SMS", ("auto", "twilio", "aliyun", "log", "off"), "auto")
    sid = env.get("ZHITONG_TWILIO_ACCOUNT_SID") or None
    sender = env.get("ZHITONG_TWILIO_FROM") or None
    if (sms == "twilio" or (sms == "auto" and sid)) and not (sid and env.get("ZHITONG_TWILIO_AUTH_TOKEN") and sender):
        raise SettingsError("Twilio SMS needs ZHITONG_TWILIO_ACCOUNT_SID, ZHITONG_TWILIO_AUTH_TOKEN and ZHITONG_TWILIO_FROM")
    public = (env.get("ZHITONG_PUBLIC_URL") or "").rstrip("/") or None
    if public is not None and not public.startswith(("http://", "https://")):
        raise SettingsError(f"ZHITONG_PUBLIC_URL must start with http:// or https://, got {public!r}")
    per_number = number("ZHITONG_SMS_PER_NUMBER_HOUR", 5)
    if per_number < 1:
        raise SettingsError("ZHITONG_SMS_PER_NUMBER_HOUR must be at least 1")
    return {
        **_aliyun(env, sms),
        "sms": sms, "twilio_account_sid": sid, "twilio_auth_token": env.get("ZHITONG_TWILIO_AUTH_TOKEN") or "",
        "twilio_from": sender, "twilio_api_base": env.get("ZHITONG_TWILIO_API_BASE") or None, "public_url": public,
        "sms_append_window": timedelta(hours=number("ZHITONG_SMS_APPEND_HOURS", 72)),
        "sms_per_number_hour": per_number,
        "fax_incoming_dir": env.get("ZHITONG_FAX_INCOMING_DIR") or DEFAULT_FAX_INCOMING_DIR,
        "fax_store_dir": env.get("ZHITONG_FAX_STORE_DIR") or "var/fax",
        "fax_ocr": _choice(env, "ZHITONG_FAX_OCR", ("on", "off"), "on"),
    }


def _aliyun(env: Mapping[str, str], sms: str) -> dict[str, Any]:
    """Aliyun SMS settings; with ZHITONG_SMS=aliyun every one of our templates must have its code."""
    raw = env.get("ZHITONG_ALIYUN_TEMPLATES") or "{}"
    try:
        templates = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"ZHITONG_ALIYUN_TEMPLATES is not JSON: {exc.msg}") from None
    if not isinstance(templates, dict) or not all(isinstance(v, str) and v for v in templates.values()):
        raise SettingsError('ZHITONG_ALIYUN_TEMPLATES must map template names to codes, e.g. {"survey": "SMS_1"}')
    values = {
        "aliyun_access_key_id": env.get("ZHITONG_ALIYUN_ACCESS_KEY_ID") or None,
        "aliyun_access_key_secret": env.get("ZHITONG_ALIYUN_ACCESS_KEY_SECRET") or "",
        "aliyun_sign_name": env.get("ZHITONG_ALIYUN_SIGN_NAME") or None,
        "aliyun_templates": {str(k): str(v) for k, v in templates.items()},
        "aliyun_endpoint": env.get("ZHITONG_ALIYUN_ENDPOINT") or None,
        "aliyun_report_token": env.get("ZHITONG_ALIYUN_REPORT_TOKEN") or "",
    }
    if sms == "aliyun":
        from callcenter.sms.templates import TEMPLATES  # the names a deployment must register

        if not (values["aliyun_access_key_id"] and values["aliyun_access_key_secret"] and values["aliyun_sign_name"]):
            raise SettingsError("Aliyun SMS needs ZHITONG_ALIYUN_ACCESS_KEY_ID, _ACCESS_KEY_SECRET and _SIGN_NAME")
        missing = sorted(set(TEMPLATES) - set(values["aliyun_templates"]))
        if missing:
            raise SettingsError(f"ZHITONG_ALIYUN_TEMPLATES has no code for: {', '.join(missing)}")
    return values


def _city(env: Mapping[str, str]) -> dict[str, Any]:
    """ZHITONG_CITY_SECRETS (comma-separated, at least 32 characters each; at most two) and
    ZHITONG_CITY_BASE_URL: both or neither."""
    secrets = tuple(s.strip() for s in (env.get("ZHITONG_CITY_SECRETS") or "").split(",") if s.strip())
    base = (env.get("ZHITONG_CITY_BASE_URL") or "").strip().rstrip("/") or None
    if not secrets and base is None:
        return {}
    if not secrets or base is None:
        raise SettingsError("the city platform needs both ZHITONG_CITY_SECRETS and ZHITONG_CITY_BASE_URL")
    if len(secrets) > 2 or any(len(s) < 32 for s in secrets):
        raise SettingsError("ZHITONG_CITY_SECRETS: one or two secrets (new,old), each at least 32 characters")
    if not base.startswith(("http://", "https://")):
        raise SettingsError(f"ZHITONG_CITY_BASE_URL must start with http:// or https://, got {base!r}")
    return {"city_secrets": secrets, "city_base_url": base}
def _wecom(env: Mapping[str, str]) -> dict[str, Any]:
    values = {"wecom_token": env.get("ZHITONG_WECOM_TOKEN") or "",
              "wecom_aes_key": env.get("ZHITONG_WECOM_AES_KEY") or "",
              "wecom_corp_id": env.get("ZHITONG_WECOM_CORP_ID") or None,
              "wecom_agent_id": env.get("ZHITONG_WECOM_AGENT_ID") or None,
              "wecom_api_base": (env.get("ZHITONG_WECOM_API_BASE") or "https://qyapi.weixin.qq.com").rstrip("/")}
    callback = (values["wecom_token"], values["wecom_aes_key"], values["wecom_corp_id"])
    if any(callback) and not all(callback):
        raise SettingsError("the WeCom callback needs ZHITONG_WECOM_TOKEN, ZHITONG_WECOM_AES_KEY and ZHITONG_WECOM_CORP_ID")
    if values["wecom_aes_key"]:
        from callcenter.wecom.crypto import aes_key

        try:
            aes_key(str(values["wecom_aes_key"]))
        except ValueError as exc:
            raise SettingsError(f"ZHITONG_WECOM_AES_KEY: {exc}") from None
    if not str(values["wecom_api_base"]).startswith(("http://", "https://")):
        raise SettingsError("ZHITONG_WECOM_API_BASE must start with http:// or https://")
    return values
