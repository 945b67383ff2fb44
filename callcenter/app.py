"""The composition root: builds every adapter and service, once.

Tests swap pieces here (the clock, the policy, the database URL) rather than
patching modules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter import policy as policy_files
from callcenter.audit import AuditLog
from callcenter.auth import http as auth_http
from callcenter.auth import users_http
from callcenter.auth.hashing import PasswordWorkers
from callcenter.auth.services import AuthService, utc_now
from callcenter.auth.throttle import Limits, LoginThrottle
from callcenter.blobs import http as blobs_http
from callcenter.blobs.files import BlobFiles
from callcenter.blobs.keys import BLOBS
from callcenter.blobs.repository import BlobRepository
from callcenter.blobs.service import BlobService
from callcenter.calendar_overrides import CalendarOverrides
from callcenter.callbacks.jobs import CallbackJobRepository
from callcenter.callbacks.services import CallbackService
from callcenter.calls import http as calls_http
from callcenter.calls.services import CallService
from callcenter.city import http as city_http
from callcenter.city.channel import CityChannel, build_city
from callcenter.city.delivery import city_loop
from callcenter.db.calls import CallRecordRepository
from callcenter.db.direct import dispose as dispose_engine
from callcenter.db.engine import create_engine, sqlite_path
from callcenter.db.login_throttle import LoginThrottleRepository
from callcenter.db.migrate import upgrade
from callcenter.db.orders import OrderRepository
from callcenter.db.units import UnitRepository
from callcenter.db.users import UserRepository
from callcenter.enterprises.service import directory_from_db
from callcenter.fax import http as fax_http
from callcenter.fax.ocr import check_tesseract
from callcenter.fax.receipts import FaxReceiptRepository
from callcenter.fax.services import FaxService
from callcenter.http import openapi
from callcenter.http.client_address import TrustedProxies
from callcenter.http.hygiene import request_hygiene_middleware
from callcenter.http.json_body import json_response
from callcenter.http.problems import problem_middleware
from callcenter.keys import (
    AUDIT,
    AUTH,
    CALENDAR,
    CALLBACKS,
    CALLS,
    CLOCK,
    DEMO,
    FAXES,
    LIVE,
    LIVE_DRAFTS,
    ORDERS,
    POLICY,
    SECURE_COOKIES,
    SMS,
    SMS_INBOUND,
    SMS_WEBHOOK,
    SPEECH,
    SUPERVISION,
    TRUSTED_PROXIES,
    UNITS,
)
from callcenter.knowledge import http as knowledge_http
from callcenter.knowledge.keys import KNOWLEDGE
from callcenter.knowledge.service import KnowledgeService
from callcenter.liaison import admin_views as liaison_admin_views
from callcenter.liaison import http as liaison_http
from callcenter.liaison.keys import LIAISONS
from callcenter.liaison.repository import LiaisonRepository
from callcenter.liaison.triggers import LiaisonTriggers
from callcenter.mailbox.wiring import Mailbox, build_mailbox
from callcenter.orders import http as orders_http
from callcenter.orders.services import OrderService
from callcenter.portal import http as portal_http
from callcenter.portal.codes import VerificationCodes
from callcenter.portal.guard import Guard, PortalLimits
from callcenter.portal.keys import PORTAL
from callcenter.portal.service import PortalService
from callcenter.portal.store import PortalStore
from callcenter.reports import http as reports_http
from callcenter.reports.keys import REPORTS
from callcenter.reports.service import ReportService
from callcenter.settings import Settings
from callcenter.sms import http as sms_http
from callcenter.sms.inbound import InboundSmsService
from callcenter.sms.outbox import SmsOutbox
from callcenter.sms.providers import build_provider
from callcenter.sms.services import SmsLimits, SmsService
from callcenter.sms.triggers import SmsTriggers
from callcenter.sms.webhooks import WebhookConfig
from callcenter.sms.worker import sms_loop
from callcenter.speech.extraction import DraftExtractor
from callcenter.speech.hub import LiveHub
from callcenter.speech.jobs import JobRepository, TranscriptRepository
from callcenter.speech.live_drafts import LiveDrafts
from callcenter.speech.services import SpeechService
from callcenter.supervision import http as supervision_http
from callcenter.supervision.services import SupervisionService
from callcenter.telephony import start_telephony
from callcenter.web import events as web_events
from callcenter.web import (
    views_account,
    views_admin,
    views_agent,
    views_auth,
    views_calendar,
    views_knowledge,
    views_orders,
    views_reports,
    views_user_edit,
    views_work,
)
from callcenter.web.errors import page_errors_middleware
from callcenter.web.events import order_event
from callcenter.web.session import session_middleware
from callcenter.wecom import http as wecom_http
from callcenter.wecom.config import CallbackConfig
from callcenter.wecom.crypto import WeComCrypto
from callcenter.wecom.inbound import WeComInbound
from callcenter.wecom.keys import WECOM_CALLBACK, WECOM_INBOUND, WECOM_NOTIFIER, WECOM_SENDERS
from callcenter.wecom.notifier import RobotNotifier, robot_loop
from callcenter.wecom.outbox import RobotOutbox
from callcenter.wecom.robot import RobotClient
from callcenter.wecom.robots import RobotKeys
from callcenter.wecom.senders import SenderMap
from callcenter.wecom.triggers import RobotTriggers, replay_recent
from worksheet.callbacks import DEFAULT_WINDOWS, CallingWindows, RetryPolicy
from worksheet.callerid import caller_number
from worksheet.deadlines import Policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
STATIC = Path(__file__).resolve().parent / "web" / "static"
SMS_RECONCILE_WINDOW = timedelta(hours=2)  # at start-up: order events whose SMS may have been lost
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(SHANGHAI)


def load_policy(settings: Settings) -> Policy:
    presets = policy_files.load_builtin_presets()
    for path in settings.preset_files:
        preset = policy_files.load_preset_file(path)
        presets[preset.name] = preset
    calendar = policy_files.load_calendar(settings.calendar_overrides)
    return Policy(calendar=calendar, presets=presets, default_preset=settings.sla_preset)


@dataclass(frozen=True)
class Services:
    engine: AsyncEngine
    orders: OrderService
    supervision: SupervisionService
    auth: AuthService
    units: UnitRepository
    policy: Policy
    clock: Clock
    calls: CallService
    speech: SpeechService
    live: LiveHub
    live_drafts: LiveDrafts
    callbacks: CallbackService
    sms: SmsService
    sms_triggers: SmsTriggers
    sms_inbound: InboundSmsService
    faxes: FaxService
    knowledge: KnowledgeService
    calendar: CalendarOverrides
    blobs: BlobService
    audit: AuditLog
    robots: RobotNotifier  # WeCom group robots (unit groups, the liaison group)
    robot_triggers: RobotTriggers
    wecom_inbound: WeComInbound
    liaisons: LiaisonRepository
    liaison_triggers: LiaisonTriggers
    mailbox: Mailbox | None = None  # the service mailbox, when configured
    city: CityChannel | None = None  # the city 12345 platform, when configured


def build_blobs(settings: Settings, engine: AsyncEngine, clock: Clock) -> BlobService:
    """The file store: our blobs, Asterisk's recordings, the faxes kept before blobs; never the database."""
    roots = {"store": Path(settings.blob_dir), "recordings": Path(settings.recordings_dir),
             "fax": Path(settings.fax_store_dir)}
    database = sqlite_path(settings.database_url)
    files = BlobFiles(roots, protected=[database] if database else [])
    return BlobService(BlobRepository(engine), files, clock, upload_max=settings.upload_max_bytes)


def build_auth(settings: Settings, engine: AsyncEngine, units: UnitRepository, audit: AuditLog) -> AuthService:
    lock_for = timedelta(minutes=settings.login_lock_minutes)
    throttle = LoginThrottle(LoginThrottleRepository(engine), audit, account=Limits(settings.login_lock_after, lock_for),
                             address=Limits(settings.login_address_lock_after, lock_for, delay_in_flight=False), now=utc_now)
    return AuthService(UserRepository(engine), units, throttle, token_lifetime=settings.token_lifetime,
                       hashing=PasswordWorkers(settings.login_workers, settings.login_queue))


def build_services(settings: Settings, *, clock: Clock = system_clock, policy: Policy | None = None) -> Services:
    policy = policy or load_policy(settings)
    engine = create_engine(settings.database_url)
    orders = OrderRepository(engine)
    units = UnitRepository(engine)
    blobs = build_blobs(settings, engine, clock)
    order_service = OrderService(orders, units, policy, clock, settings.duplicate_window, attachments=blobs)
    calls = CallService(CallRecordRepository(engine), clock, tz=ZoneInfo(settings.pbx_timezone))
    # The speech engine (a loaded model) is attached when telephony starts; until then jobs queue.
    speech = SpeechService(JobRepository(engine), TranscriptRepository(engine), order_service, calls, clock,
                           engine=None, extract=DraftExtractor(lambda: directory_from_db(engine)), blobs=blobs)
    # Satisfaction callbacks: scheduled when a reply passes the check; the dialer (AMI) is
    # attached when telephony starts.
    windows = CallingWindows(policy.calendar, settings.callback_windows or DEFAULT_WINDOWS)
    callbacks = CallbackService(CallbackJobRepository(engine), order_service, clock, windows, RetryPolicy(), dialer=None)
    order_service.observers.append(callbacks.on_order_changed)
    # SMS confirmations: queued in the outbox by order events and the SMS survey, sent by sms_loop.
    sms = SmsService(SmsOutbox(engine), build_provider(settings), clock,
                     limits=SmsLimits(per_number=settings.sms_per_number_hour))
    triggers = SmsTriggers(sms, policy, windows)
    order_service.observers.append(triggers.on_order_changed)
    callbacks.job_observers.append(triggers.on_callback_job)
    sms_inbound = InboundSmsService(engine, order_service, callbacks, speech.extract, clock,
                                    append_window=settings.sms_append_window)
    faxes = FaxService(FaxReceiptRepository(engine), order_service, calls, sms, speech.extract, clock,
                       incoming_dir=Path(settings.fax_incoming_dir), blobs=blobs,
                       ocr=settings.fax_ocr == "on")
    calls.ended_hooks.append(faxes.on_call_ended)
    audit = AuditLog(engine)
    live = LiveHub()  # live transcripts, order changes and ended calls, for the pages' event streams
    order_service.observers.append(lambda order: _publish(live, order_event(order)))
    calls.ended_hooks.append(lambda record: _publish(live, {"kind": "call", "linkedid": record.get("linkedid")}))
    calls.started_hooks.append(lambda linkedid: _publish(live, {"kind": "call", "linkedid": linkedid}))
    # Agents' calls fill the agent's open form as the caller speaks (from the live transcript).
    live_drafts = LiveDrafts(live, speech.extract, lambda uuid: calls.tracker.linkedid_for_audiosocket(uuid),
                             lambda linkedid: caller_number((calls.tracker.record(linkedid) or {}).get("caller")))
    live.taps.append(live_drafts.observe)
    calls.ended_hooks.append(lambda record: _call_ended(live_drafts, record))
    mailbox = None if settings.mail is None else build_mailbox(settings.mail, engine, order_service, blobs,
                                                               speech.extract, policy, clock)
    supervision = SupervisionService(orders, policy, clock)
    # WeCom group notices and liaison officers' notices: queued by order events and cards.
    robots = RobotNotifier(RobotOutbox(engine), RobotKeys(engine), RobotClient(settings.wecom_api_base), clock)
    liaisons = LiaisonRepository(engine)
    robot_triggers, liaison_triggers = RobotTriggers(robots), LiaisonTriggers(liaisons, sms, robots, clock)
    for observers in (order_service.observers, supervision.observers):
        observers.extend((robot_triggers.on_order_changed, liaison_triggers.on_order_changed))
    wecom_inbound = WeComInbound(engine, order_service, SenderMap(engine), speech.extract, clock,
                                 agent_id=settings.wecom_agent_id)
    return Services(
        engine=engine,
        orders=order_service,
        supervision=supervision,
        auth=build_auth(settings, engine, units, audit),
        units=units, policy=policy, clock=clock,
        calls=calls, speech=speech, live=live, live_drafts=live_drafts, callbacks=callbacks, sms=sms, sms_triggers=triggers,
        sms_inbound=sms_inbound, faxes=faxes, knowledge=KnowledgeService(engine, clock),
        calendar=CalendarOverrides(engine, policy.calendar, clock), blobs=blobs, audit=audit, mailbox=mailbox,
        city=build_city(settings.city_secrets, settings.city_base_url, engine, order_service, clock),
        robots=robots, robot_triggers=robot_triggers, wecom_inbound=wecom_inbound, liaisons=liaisons,
        liaison_triggers=liaison_triggers,
    )


def build_app(
    settings: Settings, *, clock: Clock = system_clock, policy: Policy | None = None, migrate: bool = True,
    telephony: bool = True, demo: bool = False,
) -> web.Application:
    """``telephony``: run the FastAGI server and AMI client in this process (one per deployment);
    ``demo``: with no AMI host configured, run them against the built-in PBX simulator."""
    app = build_web()

    async def services_ctx(app: web.Application) -> AsyncIterator[None]:
        if migrate:
            await upgrade(settings.database_url)
        services = build_services(settings, clock=clock, policy=policy)
        attach_services(app, services, settings)
        workers: list[asyncio.Task[None]] = []
        tel = None
        # Whatever happened, a start-up that failed or was stopped by a signal included: every
        # task ends and the pool is disposed (aiosqlite's threads would keep the process alive).
        try:
            await services.calendar.refresh()  # before anything computes a deadline
            since = services.clock() - SMS_RECONCILE_WINDOW
            await services.sms_triggers.reconcile(services.orders.orders, since)
            await replay_recent(services.orders.orders, since, services.robot_triggers.on_event,
                                services.liaison_triggers.on_event)
            workers = [asyncio.create_task(sms_loop(services.sms, services.sms_inbound), name="sms-sender"),
                       asyncio.create_task(services.faxes.run(), name="fax-intake"),
                       asyncio.create_task(robot_loop(services.robots), name="wecom-robots"),
                       asyncio.create_task(services.calendar.run(), name="calendar-refresh"),
                       asyncio.create_task(services.supervision.run_forever(), name="supervision-sweep"),
                       asyncio.create_task(services.blobs.run_sweeps(), name="upload-sweep"),
                       asyncio.create_task(services.auth.watch_streams(), name="session-streams"),
                       asyncio.create_task(services.auth.throttle.prune_forever(), name="login-throttle-prune")]
            if PORTAL in app:
                workers.append(asyncio.create_task(app[PORTAL].prune_forever(), name="portal-prune"))
            if services.mailbox is not None:
                await services.mailbox.replies.reconcile(services.orders.orders, services.clock() - SMS_RECONCILE_WINDOW)
                workers += services.mailbox.workers()
            if services.city is not None:
                await services.city.updates.reconcile(services.orders.orders, services.clock() - SMS_RECONCILE_WINDOW)
                workers.append(asyncio.create_task(city_loop(services.city.updates), name="city-updates"))
            await _warn_if_no_ocr(settings)
            tel = await start_telephony(settings, services, demo=demo) if telephony else None
            if tel is not None and tel.demo is not None:
                app[DEMO] = tel.demo
            yield
        finally:
            # What the last requests changed still gets its SMS and notices (bounded: a stuck
            # observer must not hold the shutdown; the start-up reconcile catches up on the rest).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(services.orders.settle(), 10)
            for worker in workers:
                worker.cancel()
            for worker in workers:
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
            if tel is not None:
                await tel.stop()
            if (close := getattr(services.sms.provider, "close", None)) is not None:
                await close()  # the Aliyun adapter's HTTP session
            await services.live_drafts.close()
            if services.city is not None:
                await services.city.updates.close()
            await services.robots.client.close()
            await services.calls.close()
            await services.auth.close()
            await dispose_engine(services.engine)

    async def end_streams(app: web.Application) -> None:
        if AUTH in app:  # on SIGTERM: event streams never end by themselves
            app[AUTH].streams.end_all("shutdown")

    app.cleanup_ctx.append(services_ctx)
    app.on_shutdown.append(end_streams)
    return app


def build_web() -> web.Application:
    """The HTTP side alone: middlewares and routes; services come from `attach_services`."""
    app = web.Application(middlewares=[problem_middleware, auth_http.auth_middleware, page_errors_middleware,
                                       request_hygiene_middleware, session_middleware], client_max_size=1 << 20)
    api = (auth_http, users_http, orders_http, blobs_http, supervision_http, calls_http, sms_http, fax_http, reports_http,
           knowledge_http, wecom_http, liaison_http, openapi, city_http)
    pages = (views_auth, views_orders, views_agent, views_work, views_reports, views_knowledge, views_calendar,
             views_admin, views_user_edit, views_account, web_events, liaison_admin_views)
    for module in (*api, *pages):
        app.router.add_routes(module.routes)
    app.router.add_static("/static", STATIC, append_version=True)
    portal_http.setup(app)  # public pages under /portal; they answer 404 while the portal is off
    app.router.add_get("/healthz", _health)
    return app


def attach_services(app: web.Application, services: Services, settings: Settings) -> None:
    app[ORDERS], app[SUPERVISION], app[AUTH] = services.orders, services.supervision, services.auth
    app[UNITS], app[POLICY], app[CLOCK] = services.units, services.policy, services.clock
    app[CALLS], app[SPEECH], app[LIVE] = services.calls, services.speech, services.live
    app[LIVE_DRAFTS] = services.live_drafts
    app[SMS], app[SMS_INBOUND], app[FAXES] = services.sms, services.sms_inbound, services.faxes
    app[SMS_WEBHOOK] = WebhookConfig(settings.twilio_auth_token, settings.public_url, settings.aliyun_report_token)
    app[AUDIT], app[CALLBACKS] = services.audit, services.callbacks
    app[TRUSTED_PROXIES] = TrustedProxies(settings.trusted_proxies)
    app[SECURE_COOKIES] = (settings.public_url or "").startswith("https://")
    app[REPORTS] = ReportService(services.engine, services.policy, services.clock)
    app[KNOWLEDGE], app[CALENDAR], app[BLOBS] = services.knowledge, services.calendar, services.blobs
    if settings.portal == "on":
        app[PORTAL] = build_portal(services)
    if services.city is not None:
        services.city.attach(app)
    app[WECOM_NOTIFIER], app[WECOM_INBOUND], app[LIAISONS] = services.robots, services.wecom_inbound, services.liaisons
    app[WECOM_SENDERS] = services.wecom_inbound.senders
    crypto = (WeComCrypto(settings.wecom_token, settings.wecom_aes_key, settings.wecom_corp_id)
              if settings.wecom_corp_id else None)
    app[WECOM_CALLBACK] = CallbackConfig(crypto)


def build_portal(services: Services) -> PortalService:
    """The enterprise portal: its codes go straight to the SMS provider (read when sending, so a
    provider attached later is used), its drafts into the same order loop as every channel."""
    if services.sms.provider is None:
        logging.getLogger("zhitong").warning("the portal is on but SMS is off: it cannot send verification codes")
    store = PortalStore(services.engine)
    guard = Guard(store, services.clock, PortalLimits())
    codes = VerificationCodes(store, guard, lambda: services.sms.provider, services.clock)
    return PortalService(store, guard, codes, services.orders, services.blobs, services.sms, services.callbacks,
                         services.speech.extract, services.clock)


async def _warn_if_no_ocr(settings: Settings) -> None:
    if settings.fax_ocr == "on" and (problem := await asyncio.to_thread(check_tesseract)) is not None:
        logging.getLogger("zhitong").warning("fax OCR unavailable, faxes are drafted without text: %s", problem)


async def _publish(hub: LiveHub, event: dict[str, Any]) -> None:
    hub.publish(event)


async def _call_ended(live_drafts: LiveDrafts, record: dict[str, Any]) -> None:
    live_drafts.on_call_ended(record)


async def _health(request: web.Request) -> web.Response:
    return json_response({"status": "ok"})
