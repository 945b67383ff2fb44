"""What the CLI subcommands do, on top of the composition root."""

from __future__ import annotations

import argparse
import asyncio
import csv
import errno
import io
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from aiohttp import web

from callcenter.ami.client import AmiClient, AmiConfig
from callcenter.app import build_app, build_services, load_policy
from callcenter.auth.cli import user_command
from callcenter.callbacks.cli import callbacks_command
from callcenter.callbacks.dialer import AmiDialer
from callcenter.db.direct import dispose as dispose_engine
from callcenter.db.migrate import upgrade
from callcenter.enterprises.cli import draft_command, enterprises_load_command
from callcenter.enterprises.service import DEMO_DIRECTORY, directory_from_db, load_enterprises
from callcenter.first_admin import FirstAdmin, ensure_first_admin, public_url, ready_block
from callcenter.http.processes import WorkerFailed, exit_at_once, fork_workers
from callcenter.http.server import run_app
from callcenter.knowledge.cli import DEMO_FILE as KB_DEMO_FILE
from callcenter.knowledge.cli import kb_command, load_articles
from callcenter.liaison.cli import liaison_command
from callcenter.mailbox.cli import mail_command
from callcenter.reports.cli import report_command
from callcenter.settings import Settings
from callcenter.sms.cli import faxes_command, sms_command
from callcenter.supervision.http import card_view, flag_view
from callcenter.wecom.cli import wecom_command

log = logging.getLogger("zhitong")


class AdminError(Exception):
    error_id = "admin-error"


def sla_due(settings: Settings, preset: str | None, start: datetime, kind: str, amount: int | None) -> dict[str, Any]:
    policy = load_policy(settings)
    deadline = policy.preset(preset).due(kind, start, policy.calendar, amount)
    return {"due": deadline.due.isoformat(), "provisional": deadline.provisional}


def read_units(file: str) -> list[dict[str, str]]:
    if file == "demo":
        text = resources.files("callcenter").joinpath("data/units_fucheng.json").read_text("utf-8")
        return json.loads(text)
    path = Path(file)
    try:
        text = path.read_text("utf-8-sig")
    except OSError as exc:
        raise AdminError(f"cannot read {file}: {exc.strerror}") from None
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
    else:
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AdminError(f"{file} is not valid JSON: {exc}") from None
    if not isinstance(rows, list):
        raise AdminError(f"{file} must hold a list of units")
    units = []
    for i, row in enumerate(rows, start=1):
        if not isinstance(row, dict) or not str(row.get("code") or "").strip() or not str(row.get("name") or "").strip():
            raise AdminError(f"{file}: unit #{i} needs a non-empty code and name")
        units.append({"code": str(row["code"]).strip(), "name": str(row["name"]).strip(),
                      "short_name": str(row.get("short_name") or row["name"]).strip()})
    return units


def serve(settings: Settings, *, host: str | None, port: int | None, demo: bool, workers: int = 1) -> None:
    async def prepare() -> FirstAdmin:
        await upgrade(settings.database_url)
        services = build_services(settings)
        try:
            first_admin = await ensure_first_admin(settings, services)
            if demo:
                await _load_demo_data(services)
            return first_admin
        finally:
            await services.orders.settle()
            await dispose_engine(services.engine)

    first_admin = asyncio.run(prepare())
    # Per-request access logging costs ~10% throughput; opt in with ZHITONG_ACCESS_LOG=1.
    access_log = logging.getLogger("aiohttp.access") if os.environ.get("ZHITONG_ACCESS_LOG") == "1" else None
    sock = listening_socket(host or settings.host, port or settings.port)
    url = public_url(*sock.getsockname()[:2])
    children = fork_workers(workers - 1, lambda before_serving: _run_worker(settings, sock, access_log, before_serving))

    def ready() -> None:  # after every other start-up line, so that it stays on screen
        print(ready_block(url, first_admin, demo=demo, workers=workers), file=sys.stderr, flush=True)

    try:
        run_app(build_app(settings, migrate=False, demo=demo), sock, access_log=access_log,
                before_serving=children.all_started, stopping=children.forward_stop, serving=ready)
    except WorkerFailed as exc:
        raise AdminError(str(exc)) from None
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise AdminError(f"cannot start: {exc.strerror or exc} (another zhitong running? see ZHITONG_AGI_PORT, "
                         "ZHITONG_AUDIOSOCKET_PORT)") from None
    finally:
        children.reap()
    exit_at_once(0)


async def _load_demo_data(services: Any) -> None:
    """The demo's units, enterprise directory and knowledge base, each only when none is there."""
    loaded = []
    if not await services.units.list():
        await services.units.upsert_many(read_units("demo"))
        loaded.append("26 units")
    if not (await directory_from_db(services.engine)).entries:
        report = await load_enterprises(services.engine, DEMO_DIRECTORY)
        loaded.append(f"{report['rows_ok']} enterprises")
    if not (await services.knowledge.list(status=None))[1]:
        report = await load_articles(services.knowledge, KB_DEMO_FILE)
        loaded.append(f"{report['inserted']} knowledge-base articles")
    if loaded:
        log.info("demo data loaded: %s", ", ".join(loaded))


def listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise AdminError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock


def _run_worker(settings: Settings, sock: socket.socket, access_log: logging.Logger | None,
                before_serving: Callable[[], Awaitable[bool]]) -> None:
    """A forked worker process (see callcenter.http.processes): the web side only, no telephony."""
    parent = os.getppid()
    app = build_app(settings, migrate=False, telephony=False)

    async def orphan_watch(app: web.Application) -> Any:
        async def watch() -> None:
            while os.getppid() == parent:
                await asyncio.sleep(1)
            os.kill(os.getpid(), signal.SIGTERM)  # the parent is gone: stop too

        task = asyncio.create_task(watch())
        yield
        task.cancel()

    app.cleanup_ctx.append(orphan_watch)
    run_app(app, sock, access_log=access_log, before_serving=before_serving)


async def run_async(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "db":
        await upgrade(settings.database_url)
        print(json.dumps({"upgraded": True}))
        return 0
    await upgrade(settings.database_url)
    services = build_services(settings)
    try:
        await services.calendar.refresh()  # the supervisors' calendar edits count for commands too
        return await _dispatch(settings, services, args)
    finally:
        await services.orders.settle()  # a command's SMS and notices are queued before it exits
        await dispose_engine(services.engine)


async def _callbacks_run_due(settings: Settings, services: Any, args: argparse.Namespace) -> int:
    """Dial the due surveys from this process: it logs in to AMI just for this run. Their results
    reach the running service's AMI session, which finds each job by its ActionID."""
    if not settings.ami_host:
        raise AdminError("callbacks run-due needs Asterisk: set ZHITONG_AMI_HOST (and the AMI credentials)")
    client = AmiClient(AmiConfig(host=settings.ami_host, port=settings.ami_port, username=settings.ami_username,
                                 secret=settings.ami_secret, auth=settings.ami_auth), lambda _msg: None)
    runner = asyncio.create_task(client.run())
    try:
        try:
            await asyncio.wait_for(client.connected.wait(), 10)
        except TimeoutError:
            raise AdminError(f"no AMI login to {settings.ami_host}:{settings.ami_port} within 10 s") from None
        services.callbacks.dialer = AmiDialer(client, None, channel=settings.callback_channel)
        return await callbacks_command(args, services)
    finally:
        await client.stop()
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


async def _dispatch(settings: Settings, services: Any, args: argparse.Namespace) -> int:
    if args.command == "callbacks":
        if args.callbacks_command == "run-due":
            return await _callbacks_run_due(settings, services, args)
        return await callbacks_command(args, services)
    if args.command == "kb":
        return await kb_command(args, services)
    if args.command == "report":
        return await report_command(args, services)
    if args.command == "sms":
        return await sms_command(args, services)
    if args.command == "faxes":
        return await faxes_command(args, services)
    if args.command == "mail":
        return await mail_command(args, services)
    if args.command == "wecom":
        return await wecom_command(args, services)
    if args.command == "liaison":
        return await liaison_command(args, services)
    if args.command == "enterprises":
        return await enterprises_load_command(args, services.engine)
    if args.command == "draft":
        return await draft_command(args, services.engine)
    if args.command == "user":
        return await user_command(args, services)
    if args.command == "units":
        if args.units_command == "load":
            units = read_units(args.file)
            await services.units.upsert_many(units)
            print(json.dumps({"loaded": len(units)}))
        else:
            for unit in await services.units.list():
                print(json.dumps(unit, ensure_ascii=False))
        return 0
    if args.command == "supervise":
        report = await services.supervision.run(args.at)
        for card in report.cards:
            print(json.dumps({"type": "card", **card_view(card)}, ensure_ascii=False))
        for flag in report.flags:
            print(json.dumps({"type": "flag", **flag_view(flag)}, ensure_ascii=False))
        return 0
    raise AdminError(f"unknown command {args.command}")
