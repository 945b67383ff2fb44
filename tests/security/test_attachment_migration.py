"""Existing orders' attachment paths become blob ids (migration 0013): legitimate recordings and fax
files stay available through their order; anything else (a path an attacker typed) is listed as
unavailable and never opened. Server paths and full numbers leave the orders' texts and history."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

from callcenter.app import build_services
from callcenter.db.migrate import upgrade
from callcenter.db.orders import OrderRepository
from callcenter.settings import Settings
from tests.blob_helpers import read_blob
from worksheet.evolve import evolve
from worksheet.model import Event, Role, Status

SH = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 11, 20, 9, 0, tzinfo=SH)
RECORDING = "/var/spool/asterisk/zhitong/recordings/msg-1700000000.1.wav"
FAX = "/srv/zhitong/var/fax/20261120/1700000000.2/fax.pdf"


def legacy_order(number: str, attachments: list[str], content: str, name: str) -> tuple[object, list[Event]]:
    """An order as 35eeeea stored it: paths in `attachments`, the caller's number in the texts."""
    data = {"number": number, "channel": "phone", "category": "help", "urgency": "normal",
            "subject": "电话留言（待转写）", "content": content,
            "enterprise": {"name": name, "credit_code": None, "contact_person": None, "phone": "13800138000"},
            "received_at": AT.isoformat(), "preset": "yicheng-2021", "attachments": attachments}
    created = Event(1, "create", AT, "system", Role.SYSTEM, None, Status.DRAFT, "", data)
    amended = Event(2, "amend-draft", AT, "system", Role.SYSTEM, Status.DRAFT, Status.DRAFT, "",
                    {"changes": {**{k: data[k] for k in ("channel", "category", "urgency", "enterprise", "subject",
                                                         "content", "attachments")}, "received_at": AT.isoformat()},
                     "suggestion": {"source": attachments[0] if attachments else "", "transcript": None,
                                    "error": f"recording not found: {RECORDING}", "empty": False}})
    order = evolve(evolve(None, created), amended)
    return order, [created, amended]


async def test_legacy_paths_become_blobs_and_only_legitimate_ones_are_served(db_url: str, tmp_path: Path) -> None:
    await upgrade(db_url, "0012")
    recordings, fax_store = tmp_path / "recordings", tmp_path / "fax"
    recordings.mkdir()
    (recordings / "msg-1700000000.1.wav").write_bytes(b"RIFF....WAVEfmt message")
    (fax_store / "20261120" / "1700000000.2").mkdir(parents=True)
    (fax_store / "20261120" / "1700000000.2" / "fax.pdf").write_bytes(b"%PDF-1.4 legacy fax")
    database = db_url.split("///", 1)[1] if db_url.startswith("sqlite") else "/var/lib/postgresql/data"
    settings = Settings(database_url=db_url, recordings_dir=str(recordings), fax_store_dir=str(fax_store),
                        blob_dir=str(tmp_path / "blobs"))
    services = build_services(settings)
    try:
        repo = OrderRepository(services.engine)
        content = f"来电 13800138000 的语音留言，录音：{RECORDING}。请收听录音后补全诉求内容。"
        for number, paths in (("20261120-0001", [RECORDING, FAX]), ("20261120-0002", ["/etc/passwd", database])):
            await repo.add(*legacy_order(number, paths, content, "来电 13800138000"))  # type: ignore[arg-type]
        await upgrade(db_url)

        good = await services.orders.orders.get("20261120-0001")
        evil = await services.orders.orders.get("20261120-0002")
        recording, fax = await services.blobs.for_order(good)
        assert (recording.kind, recording.area, recording.location) == ("recording", "recordings",
                                                                        "msg-1700000000.1.wav")
        assert (fax.kind, fax.area, fax.location) == ("fax", "fax", "20261120/1700000000.2/fax.pdf")
        assert await read_blob(services, recording.id) == b"RIFF....WAVEfmt message"
        assert await read_blob(services, fax.id) == b"%PDF-1.4 legacy fax"
        blobs = await services.blobs.for_order(evil)
        assert [b.area for b in blobs] == ["rejected", "rejected"] and {b.location for b in blobs} == {""}
        for blob in blobs:
            try:
                await services.blobs.open(evil, blob.id)
            except Exception as exc:
                assert type(exc).__name__ == "AttachmentUnavailable"
            else:
                raise AssertionError("a rejected legacy path was served")

        for order in (good, evil):
            assert order.content == "来电 138****8000 的语音留言（录音见附件）。请收听录音后补全诉求内容。"
            assert order.enterprise.name == "来电 138****8000" and order.enterprise.phone == "13800138000"
            history = json.dumps([e.data for e in order.history], ensure_ascii=False)
            assert "/var/spool" not in history and "/etc/passwd" not in history and "13800138000 的" not in history
            assert order.history[1].data["changes"]["attachments"] == list(order.attachments)
            assert order.history[1].data["suggestion"]["error"] == "recording not found: msg-1700000000.1.wav"
        async with services.engine.connect() as conn:  # the columns search reads were rewritten too
            rows = (await conn.execute(text("SELECT content, enterprise_name FROM orders"))).all()
        assert {tuple(r) for r in rows} == {(good.content, "来电 138****8000")}
    finally:
        await services.engine.dispose()
