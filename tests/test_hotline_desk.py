"""OrderDesk.leave_message on the database: whatever the caller ID says, a voice message becomes a
draft with its recording, and the caller-ID name never becomes the enterprise's name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from callcenter.app import Services, build_services
from callcenter.db.migrate import upgrade
from callcenter.hotline.desk import OrderDesk
from callcenter.orders.services import SYSTEM
from callcenter.settings import Settings
from worksheet.model import Status

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
RECORDING = "/var/spool/asterisk/zhitong/recordings/msg-1795435368.7-0a1b2c3d.wav"


@pytest.fixture
async def services(db_url: str, tmp_path: Path) -> AsyncIterator[Services]:
    await upgrade(db_url)
    recordings = tmp_path / "recordings"
    recordings.mkdir()
    (recordings / Path(RECORDING).name).write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(40))
    services = build_services(Settings(database_url=db_url, recordings_dir=str(recordings),
                                       blob_dir=str(tmp_path / "blobs")), clock=lambda: NOW)
    yield services
    await services.engine.dispose()


def desk(services: Services) -> OrderDesk:
    return OrderDesk(services.orders, services.calls, services.clock, blobs=services.blobs)


@pytest.mark.parametrize("caller", ["anonymous", "Anonymous", "unknown", "<unknown>", "Restricted", "Private",
                                    "Unavailable", "", "sip:anonymous@anonymous.invalid", "alice"])
async def test_a_message_without_a_caller_number_is_drafted_with_its_recording(services, caller) -> None:
    number = await desk(services).leave_message(caller=caller, caller_name="Anonymous", recording=RECORDING,
                                                uniqueid="1795435368.7", linkedid="1795435368.7",
                                                menu_choice="report")
    order = await services.orders.get(number, SYSTEM)
    assert order.status == Status.DRAFT and order.enterprise.phone is None
    assert order.enterprise.name == "来电 未知号码" and "Anonymous" not in order.content
    [blob] = await services.blobs.for_order(order)
    assert blob.kind == "recording" and blob.location == Path(RECORDING).name
    assert order.attachments == (blob.id,)


async def test_the_caller_id_name_is_shown_but_never_taken_for_the_enterprise(services) -> None:
    number = await desk(services).leave_message(caller="+86 138-0013-8000", caller_name="Wang Jingli",
                                                recording=RECORDING, uniqueid="1.1", linkedid="1.1",
                                                menu_choice=None)
    order = await services.orders.get(number, SYSTEM)
    assert order.enterprise.name == "来电 138****8000" and order.enterprise.phone == "13800138000"
    assert "来电显示“Wang Jingli”" in order.content
    assert order.history[0].data["extra"]["call"]["caller_name"] == "Wang Jingli"
