"""Attachments become ids of files the server stored itself (the blobs table), never paths.

Before this, an order's `attachments` were path strings that a client could set to anything, and
the server opened them (any file could be read, the live database included). Each path on an
existing order becomes a blob row:

* a fax folder's file (``…/YYYYMMDD/<linkedid>/fax.pdf|fax.tif``) → area ``fax``, relative name;
* a recording (``…/msg-1.wav``, ``call-1.wav``) → area ``recordings``, its file name only;
* anything else → area ``rejected``: listed on the order as unavailable, never served.

The orders' snapshots and events get the ids in place of the paths, and the server paths and full
phone numbers that the voice-message drafts wrote into their content are taken out. That rewrites
history, which the database otherwise refuses (order_events is append-only): the guard is lifted
for this one transaction and put back, and nothing else about an event changes. Fax receipts get
their documents as blobs too.

Revision ID: 0013
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_ID = re.compile(r"^[A-Za-z0-9_-]{16,40}$")
_FAX = re.compile(r"/(\d{8})/([A-Za-z0-9][A-Za-z0-9._-]{0,80})/(fax\.pdf|fax\.tif)$")
_RECORDING = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.(wav|WAV|gsm|mp3)$")
_AUDIO_TYPES = {"wav": "audio/wav", "gsm": "audio/x-gsm", "mp3": "audio/mpeg"}
# What the voice-message and agent-call drafts used to write: the full number and a server path.
_MESSAGE = re.compile(r"来电 (\+?\d[\d-]*) 的语音留言，录音：[^。]*。")
_AGENT_CALL = re.compile(r"坐席通话录音：\S+")
_PATH = re.compile(r"/(?:[^\s/:]+/)+([^\s/:]+)")
_CALLER_NAME = re.compile(r"^(来电|来信) (\+?\d{7,})$")


def _mask(number: str) -> str:
    """callcenter.sms.privacy.mask_phone, frozen here as this migration's own copy."""
    compact = re.sub(r"[\s-]", "", number)
    m = re.match(r"^(\+86)?(1\d{2})(\d{4})(\d{4})$", compact)
    if m:
        return f"{m.group(1) or ''}{m.group(2)}****{m.group(4)}"
    return "*" * len(compact) if len(compact) <= 7 else f"{compact[:3]}{'*' * (len(compact) - 7)}{compact[-4:]}"


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("order_number", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("area", sa.String(16), nullable=False),
        sa.Column("location", sa.String(300), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_blobs_order_number", "blobs", ["order_number"])
    op.create_index("ix_blobs_uploader_unattached", "blobs", ["created_by", "created_at"],
                    postgresql_where=sa.text("order_number IS NULL"), sqlite_where=sa.text("order_number IS NULL"))
    op.add_column("fax_receipts", sa.Column("documents", JSON, nullable=True))
    bind = op.get_bind()
    now = datetime.now(UTC)
    created_at = now.replace(tzinfo=None) if bind.dialect.name == "sqlite" else now
    rows: list[dict[str, Any]] = []
    _allow_event_updates(bind, True)
    _convert_orders(bind, rows, created_at)
    _allow_event_updates(bind, False)
    _convert_faxes(bind, rows, created_at)
    if rows:
        op.bulk_insert(sa.table("blobs", *(sa.column(c) for c in rows[0])), rows)


def downgrade() -> None:
    op.drop_column("fax_receipts", "documents")
    op.drop_table("blobs")


def _allow_event_updates(bind: sa.Connection, allow: bool) -> None:
    """Lift (or restore) migration 0001's append-only guard on order_events, updates only."""
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE order_events {'DISABLE' if allow else 'ENABLE'} TRIGGER order_events_append_only")
    elif allow:
        op.execute("DROP TRIGGER order_events_no_update")
    else:
        op.execute("CREATE TRIGGER order_events_no_update BEFORE UPDATE ON order_events\n"
                   "BEGIN SELECT RAISE(ABORT, 'order_events is append-only'); END")


def _blob_for(path: str, number: str, created_at: Any) -> dict[str, Any]:
    row = {"id": secrets.token_urlsafe(18), "order_number": number, "size": None, "sha256": None,
           "created_by": "migration-0013", "created_at": created_at}
    name = PurePosixPath(path).name
    if m := _FAX.search(path):
        pdf = m.group(3) == "fax.pdf"
        return {**row, "kind": "fax", "content_type": "application/pdf" if pdf else "image/tiff",
                "name": "传真.pdf" if pdf else "传真.tif", "area": "fax", "location": "/".join(m.groups())}
    if _RECORDING.match(name):
        return {**row, "kind": "recording", "content_type": _AUDIO_TYPES[name.rsplit(".", 1)[1].lower()],
                "name": name, "area": "recordings", "location": name}
    return {**row, "kind": "upload", "content_type": "application/octet-stream", "name": (name or "附件")[:120],
            "area": "rejected", "location": ""}


def _redact(text: str) -> str:
    text = _MESSAGE.sub(lambda m: f"来电 {_mask(m.group(1))} 的语音留言（录音见附件）。", text)
    return _AGENT_CALL.sub("坐席通话（录音见附件）", text)


def _clean(value: Any, ids: dict[str, str]) -> Any:
    """A snapshot or event data with attachment paths replaced by ids and the old texts redacted."""
    if isinstance(value, dict):
        out = {k: _clean(v, ids) for k, v in value.items()}
        if isinstance(value.get("attachments"), list):
            out["attachments"] = [ids.get(a, a) for a in value["attachments"] if isinstance(a, str)]
        for key in ("content", "source", "error"):
            if isinstance(out.get(key), str):
                out[key] = _redact(out[key])
                if key in ("source", "error"):  # a suggestion's recording: its name, not the server's path
                    out[key] = _PATH.sub(r"\1", out[key])
        if isinstance(out.get("name"), str) and (m := _CALLER_NAME.match(out["name"])):
            out["name"] = f"{m.group(1)} {_mask(m.group(2))}"
        if isinstance(out.get("recording"), str) and out["recording"] in ids:
            out["recording"] = ids[out["recording"]]
        return out
    if isinstance(value, list):
        return [_clean(v, ids) for v in value]
    return value


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _paths(value: Any) -> list[str]:
    """Every attachment path (not yet an id) anywhere in a snapshot or event data."""
    if isinstance(value, dict):
        found = [a for a in value.get("attachments") or [] if isinstance(a, str) and not _ID.match(a)]
        return found + [p for v in value.values() for p in _paths(v)]
    if isinstance(value, list):
        return [p for v in value for p in _paths(v)]
    return []


def _suspect(column: Any) -> Any:
    """Rows worth reading: a path ("/") or a caller's number written into a draft (来电/来信)."""
    text = sa.cast(column, sa.Text)
    return sa.or_(text.like("%/%"), text.like("%来电%"), text.like("%来信%"))


def _convert_orders(bind: sa.Connection, rows: list[dict[str, Any]], created_at: Any) -> None:
    orders = sa.table("orders", sa.column("number"), sa.column("snapshot", JSON), sa.column("content"),
                      sa.column("enterprise_name"))
    events = sa.table("order_events", sa.column("order_number"), sa.column("seq"), sa.column("data", JSON))
    snapshots = {n: _loads(s) for n, s in bind.execute(
        sa.select(orders.c.number, orders.c.snapshot).where(_suspect(orders.c.snapshot))).all()}
    history: dict[str, list[tuple[int, Any]]] = {}
    for number, seq, data in bind.execute(sa.select(events.c.order_number, events.c.seq, events.c.data)
                                          .where(_suspect(events.c.data))).all():
        history.setdefault(number, []).append((seq, _loads(data)))
    for number in sorted(set(snapshots) | set(history)):
        snapshot, order_events = snapshots.get(number), history.get(number, [])
        ids: dict[str, str] = {}
        for path in dict.fromkeys(_paths([snapshot, *(d for _, d in order_events)])):
            row = _blob_for(path, number, created_at)
            rows.append(row)
            ids[path] = row["id"]
        if snapshot is not None and (cleaned := _clean(snapshot, ids)) != snapshot:
            bind.execute(sa.update(orders).where(orders.c.number == number).values(
                snapshot=cleaned, content=cleaned.get("content", ""),
                enterprise_name=(cleaned.get("enterprise") or {}).get("name", "")))
        for seq, data in order_events:
            if (new := _clean(data, ids)) != data:
                bind.execute(sa.update(events).where(events.c.order_number == number, events.c.seq == seq)
                             .values(data=new))


def _convert_faxes(bind: sa.Connection, rows: list[dict[str, Any]], created_at: Any) -> None:
    """A fax receipt's folder (…/YYYYMMDD/<linkedid>) becomes blobs in the `fax` area."""
    receipts = sa.table("fax_receipts", sa.column("id"), sa.column("stored"), sa.column("pages"),
                        sa.column("order_number"), sa.column("documents", JSON))
    query = sa.select(receipts.c.id, receipts.c.stored, receipts.c.pages, receipts.c.order_number).where(
        receipts.c.stored.is_not(None))
    for receipt_id, stored, pages, number in bind.execute(query).all():
        m = re.search(r"/(\d{8})/([A-Za-z0-9][A-Za-z0-9._-]{0,80})$", stored.rstrip("/"))
        if m is None:
            continue  # not a folder this service wrote: the receipt keeps no documents
        folder = "/".join(m.groups())
        base = {"order_number": number, "size": None, "sha256": None, "area": "fax",
                "created_by": "migration-0013", "created_at": created_at}
        made = {key: {**base, "id": secrets.token_urlsafe(18), "kind": "fax", "content_type": kind, "name": name,
                      "location": f"{folder}/{file}"}
                for key, file, kind, name in (("pdf", "fax.pdf", "application/pdf", "传真.pdf"),
                                              ("tiff", "fax.tif", "image/tiff", "传真.tif"))}
        page_rows = [{**base, "id": secrets.token_urlsafe(18), "kind": "fax-page", "content_type": "image/png",
                      "name": f"传真第{i}页.png", "location": f"{folder}/page-{i}.png"} for i in range(1, pages + 1)]
        rows.extend([*made.values(), *page_rows])
        documents = {"pdf": made["pdf"]["id"], "tiff": made["tiff"]["id"], "pages": [p["id"] for p in page_rows]}
        bind.execute(sa.update(receipts).where(receipts.c.id == receipt_id).values(documents=documents))
