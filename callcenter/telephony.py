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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callcenter.ami.client import AmiClient, AmiConfig
from callcenter.asr.engine import AsrEngine
from callcenter.asr.models import ModelError, find_model
from callcenter.callbacks.dialer import AmiDialer
from callcenter.hotline.desk import OrderDesk
from callcenter.settings import Settings
from callcenter.speech.live import AudioSocketServer
from ivr.agi.server import AgiServer
from ivr.peers import allow_list, exposure_warning
from ivr.routes import build_routes

if TYPE_CHECKING:
    from callcenter.app import Services

logger = logging.getLogger(__name__)

CALLBACK_TICK_S = 30.0
RECONCILE_EVERY = 10  # ticks


@dataclass
class Telephony:
    agi: AgiServer | None = None
    ami: AmiClient | None = None
    asr: AsrEngine | None = None
    audiosocket: AudioSocketServer | None = None
    simulator: Any = None  # callcenter.pbxsim.PbxSimulator, imported only in demo mode
    demo: Any = None  # callcenter.demo.status.DemoStatus: what the pages say about the demo's voices
    audiosocket_port: int | None = None
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
        if self.audiosocket is not None:
            await self.audiosocket.close()
        if self.asr is not None:
            await self.asr.close()
        if self.simulator is not None:
            await self.simulator.close()


async def start_telephony(settings: Settings, services: Services, *, demo: bool = False,
                          demo_loop: bool = True, speech: bool = True) -> Telephony:
    tel = Telephony()
    calls = services.calls
    try:
        if speech:
            await _start_speech(tel, settings, services)
        desk = OrderDesk(services.orders, calls, services.clock, services.speech, services.callbacks,
                         blobs=services.blobs)
        if settings.agi_port or demo:
            tel.agi = AgiServer(build_routes(desk), allow_peer=allow_list(settings.agi_allowed_peers))
            server = await tel.agi.start(settings.agi_host, settings.agi_port)
            tel.agi_port = server.sockets[0].getsockname()[1]
            logger.info("FastAGI listening on %s:%d", settings.agi_host, tel.agi_port)
            _warn_if_exposed("FastAGI", "ZHITONG_AGI_ALLOWED_PEERS", settings.agi_host, settings.agi_allowed_peers)
        ami = AmiConfig(host=settings.ami_host or "", port=settings.ami_port, username=settings.ami_username,
                        secret=settings.ami_secret, auth=settings.ami_auth)
        if demo and not settings.ami_host:
            ami = await _start_simulator(tel, ami, Path(settings.fax_incoming_dir))
        if ami.host:
            tel.ami = AmiClient(ami, calls.on_event, on_session=calls.on_session, on_disconnect=calls.on_disconnect)
            tel.tasks.append(asyncio.create_task(tel.ami.run(), name="ami-client"))
            tel.tasks.append(asyncio.create_task(calls.run_flusher(), name="call-flusher"))
            if tel.simulator is not None:
                # The local simulator answers at once: log in before start-up ends, so the block
                # `zhitong serve` prints after the start-up lines really comes last.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(tel.ami.connected.wait(), 10)
            callbacks = services.callbacks
            callbacks.dialer = AmiDialer(tel.ami, calls, channel=settings.callback_channel)
            calls.originate_hooks.append(callbacks.on_originate_result)
            tel.tasks.append(asyncio.create_task(_callback_loop(tel.ami, callbacks, settings.callback_tick_s), name="callbacks"))
        if tel.simulator is not None and demo_loop:
            from callcenter.demo import runner  # demo only, as the simulator

            tel.demo = await runner.start(tel, services, Path(settings.recordings_dir))
    except BaseException:
        await tel.stop()
        raise
    return tel


async def _callback_loop(ami: AmiClient, callbacks: Any, tick_s: float = CALLBACK_TICK_S) -> None:
    """Dial due surveys and expire stale dials; reconcile missed schedules every few minutes."""
    ticks = 0
    every = max(1, round(RECONCILE_EVERY * CALLBACK_TICK_S / tick_s))
    while True:
        await asyncio.sleep(tick_s)
        try:
            if ticks % every == 0:
                await callbacks.reconcile()
            ticks += 1
            if ami.connected.is_set():
                await callbacks.tick()
        except Exception:
            logger.exception("satisfaction callbacks: this round failed; the next one retries")


async def _start_speech(tel: Telephony, settings: Settings, services: Services) -> None:
    """Load the model once; without one the service runs with speech disabled (jobs wait)."""
    if settings.speech == "off":
        logger.info("speech disabled by ZHITONG_SPEECH=off; recordings queue for later")
        return
    try:
        model = find_model(Path(settings.asr_model) if settings.asr_model else None)
        tel.asr = await asyncio.to_thread(AsrEngine.load, model, workers=settings.asr_workers or None)
    except ModelError as exc:
        logger.error("speech disabled: %s (see asr_models/README.md); recordings queue for later", exc)
        return
    logger.info("speech model %s loaded (%s mode, %d workers)", model, tel.asr.mode, tel.asr.workers)
    speech, calls = services.speech, services.calls
    speech.engine = tel.asr
    calls.ended_hooks.append(speech.on_call_ended)
    tel.tasks.append(asyncio.create_task(speech.run(), name="transcription-worker"))
    if settings.audiosocket_port:
        async def on_final(uuid: str, transcript: Any) -> None:
            linkedid = calls.tracker.linkedid_for_audiosocket(uuid)
            await speech.transcripts.save(source=f"audiosocket:{uuid}", linkedid=linkedid,
                                          transcript=transcript.to_json(), now=services.clock())

        tel.audiosocket = AudioSocketServer(tel.asr, services.live, on_final,
                                            allow_peer=allow_list(settings.audiosocket_allowed_peers))
        server = await tel.audiosocket.start(settings.audiosocket_host, settings.audiosocket_port)
        tel.audiosocket_port = server.sockets[0].getsockname()[1]
        logger.info("AudioSocket (live transcription) on %s:%d", settings.audiosocket_host, settings.audiosocket_port)
        _warn_if_exposed("AudioSocket", "ZHITONG_AUDIOSOCKET_ALLOWED_PEERS", settings.audiosocket_host,
                         settings.audiosocket_allowed_peers)


def _warn_if_exposed(listener: str, setting: str, host: str, networks: Any) -> None:
    if (warning := exposure_warning(listener, setting, host, networks)) is not None:
        logger.warning("%s", warning)


async def _start_simulator(tel: Telephony, ami: AmiConfig, spool: Path) -> AmiConfig:
    from callcenter.pbxsim import PbxSimulator  # demo only: a production node never loads it

    secret = secrets.token_hex(8)
    assert tel.agi_port is not None
    spool.mkdir(parents=True, exist_ok=True)  # the simulated Asterisk's fax spool, shared with the app
    # The agent calls' spy leg streams to our AudioSocket server, for the live transcript.
    live = ("127.0.0.1", tel.audiosocket_port) if tel.audiosocket_port else None
    tel.simulator = PbxSimulator(agi_target=("127.0.0.1", tel.agi_port), audiosocket_target=live,
                                 username=ami.username, secret=secret, time_scale=1.0, fax_dir=spool)
    await tel.simulator.start()
    logger.info("demo: simulated Asterisk (AMI) on 127.0.0.1:%d", tel.simulator.ami_port)
    return AmiConfig(host="127.0.0.1", port=tel.simulator.ami_port, username=ami.username, secret=secret,
                     auth="md5")
