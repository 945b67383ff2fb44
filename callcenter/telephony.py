"""The telephony side of the service: FastAGI server, AMI client, and (demo) the PBX simulator.

Started by the composition root in one cleanup context; every long-lived task is stopped there.
Only one process of a multi-worker deployment runs it (several AMI sessions would each track
the same calls, and the FastAGI port can be bound once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from callcenter.ami.client import AmiClient, AmiConfig
from callcenter.calls.services import CallService
from callcenter.hotline.desk import OrderDesk
from callcenter.orders.services import OrderService
from callcenter.settings import Settings
from ivr.agi.server import AgiServer
from ivr.routes import build_routes

logger = logging.getLogger(__name__)

DEMO_INTERVAL_S = 8.0


@dataclass
class Telephony:
    agi: AgiServer | None = None
    ami: AmiClient | None = None
    simulator: Any = None  # callcenter.pbxsim.PbxSimulator, imported only in demo mode
    agi_port: int | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def stop(self) -> None:
        if self.ami is not None:
            await self.ami.stop()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.agi is not None:
            await self.agi.close()
        if self.simulator is not None:
            await self.simulator.close()


async def start_telephony(settings: Settings, orders: OrderService, calls: CallService, *,
                          demo: bool = False, demo_loop: bool = True) -> Telephony:
    tel = Telephony()
    try:
        desk = OrderDesk(orders, calls, orders.clock)
        if settings.agi_port or demo:
            tel.agi = AgiServer(build_routes(desk))
            server = await tel.agi.start(settings.agi_host, settings.agi_port)
            tel.agi_port = server.sockets[0].getsockname()[1]
            logger.info("FastAGI listening on %s:%d", settings.agi_host, tel.agi_port)
        ami = AmiConfig(host=settings.ami_host or "", port=settings.ami_port, username=settings.ami_username,
                        secret=settings.ami_secret, auth=settings.ami_auth)
        if demo and not settings.ami_host:
            ami = await _start_simulator(tel, ami)
        if ami.host:
            tel.ami = AmiClient(ami, calls.on_event, on_session=calls.on_session, on_disconnect=calls.on_disconnect)
            tel.tasks.append(asyncio.create_task(tel.ami.run(), name="ami-client"))
            tel.tasks.append(asyncio.create_task(calls.run_flusher(), name="call-flusher"))
        if tel.simulator is not None and demo_loop:
            tel.tasks.append(asyncio.create_task(_demo_loop(tel), name="pbxsim-demo"))
    except BaseException:
        await tel.stop()
        raise
    return tel


async def _start_simulator(tel: Telephony, ami: AmiConfig) -> AmiConfig:
    from callcenter.pbxsim import PbxSimulator  # demo only: a production node never loads it

    secret = secrets.token_hex(8)
    assert tel.agi_port is not None
    tel.simulator = PbxSimulator(agi_target=("127.0.0.1", tel.agi_port), username=ami.username, secret=secret,
                                 time_scale=1.0)
    await tel.simulator.start()
    logger.info("demo: simulated Asterisk (AMI) on 127.0.0.1:%d", tel.simulator.ami_port)
    return AmiConfig(host="127.0.0.1", port=tel.simulator.ami_port, username=ami.username, secret=secret,
                     auth="md5")


async def _demo_loop(tel: Telephony) -> None:
    from callcenter.pbxsim.scenarios import FAX_RECEIVED, IVR_HANGUP_MID_MENU, IVR_LEAVE_MESSAGE, QUEUE_CALL

    assert tel.ami is not None
    await tel.ami.connected.wait()
    with contextlib.suppress(asyncio.CancelledError):
        await tel.simulator.run_forever([IVR_LEAVE_MESSAGE, QUEUE_CALL, IVR_HANGUP_MID_MENU, FAX_RECEIVED],
                                        DEMO_INTERVAL_S)
