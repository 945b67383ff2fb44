"""Attachments are ids of files the server stored itself (issue 11, finding 1).

On 35eeeea an agent created an order with `attachments: ["/etc/passwd"]` (or the live database)
and downloaded it; the unit handler of the dispatched unit could do the same. Now a client can only
upload bytes (checked for kind and size) and reference ids it may already see; every download goes
through an order the caller may see.
"""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from callcenter.blobs.keys import BLOBS
from callcenter.db.engine import sqlite_path
from tests.api_helpers import ORDER, Api, start_api

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@pytest.fixture
async def api(db_url: str):  # type: ignore[no-untyped-def]
    async for value in start_api(db_url, upload_max_bytes=64 * 1024):
        yield value


async def upload(api: Api, who: str | None, *files: tuple[str, bytes], content_type: str = "application/pdf"
                 ) -> tuple[int, Any]:
    form = aiohttp.FormData()
    for name, data in files:
        form.add_field("file", data, filename=name, content_type=content_type)
    form.add_field("note", "ignored")  # a plain field next to the files changes nothing
    resp = await api.client.post("/api/v1/attachments", data=form, headers=api.auth(who) if who else {})
    return resp.status, await resp.json(content_type=None)


async def orders_total(api: Api) -> int:
    status, body = await api.call("admin", "GET", "/api/v1/orders?limit=1")
    assert status == 200
    return int(body["total"])


@pytest.mark.parametrize("path", ["/etc/passwd", "../../var/zhitong.sqlite3", "var/zhitong.sqlite3-wal",
                                  "C:\\Windows\\win.ini", "file:///etc/passwd", "ab/" + "0" * 64, "", "a" * 15])
async def test_a_path_or_name_is_never_an_attachment(api: Api, path: str) -> None:
    status, problem = await api.call("agent", "POST", "/api/v1/orders", {**ORDER, "attachments": [path]})
    assert status == 422 and problem["error_id"] == "validation-failed" and "attachment" in problem["detail"]
    assert await orders_total(api) == 0  # nothing created, no number taken


async def test_the_live_database_cannot_be_attached_by_any_spelling(api: Api) -> None:
    database = sqlite_path(str(api.client.server.app[BLOBS].repo.engine.url))
    spellings = [str(p) for p in (database,) if p] + ["/proc/self/fd/7", "/proc/self/cwd/var/zhitong.sqlite3"]
    for spelling in spellings:
        status, _ = await api.call("agent", "POST", "/api/v1/orders", {**ORDER, "attachments": [spelling]})
        assert status == 422, spelling
    draft = {**ORDER, "draft": True}
    status, body = await api.call("agent", "POST", "/api/v1/orders", draft)
    assert status == 201
    for action in ("amend-draft", "confirm"):
        status, problem = await api.call("agent", "POST", f"/api/v1/orders/{body['number']}/{action}",
                                         {"changes": {"attachments": ["/etc/passwd"]}})
        assert status == 422 and "attachment" in problem["detail"], action


async def test_uploaded_files_attach_and_download_through_the_order(api: Api) -> None:
    status, body = await upload(api, "agent", ("营业执照.pdf", PDF), ("现场照片.png", PNG))
    assert status == 201, body
    pdf, png = body["items"]
    assert (pdf["name"], pdf["content_type"], pdf["size"], pdf["order_number"]) == (
        "营业执照.pdf", "application/pdf", len(PDF), None)
    assert "location" not in pdf and "area" not in pdf  # where the bytes live never leaves the server
    status, order = await api.call("agent", "POST", "/api/v1/orders", {**ORDER, "attachments": [pdf["id"], png["id"]]})
    assert status == 201 and order["attachments"] == [pdf["id"], png["id"]]
    number = order["number"]
    status, listed = await api.call("agent", "GET", f"/api/v1/orders/{number}/attachments")
    assert [(i["name"], i["order_number"]) for i in listed["items"]] == [("营业执照.pdf", number), ("现场照片.png", number)]

    resp = await api.client.get(f"/api/v1/orders/{number}/attachments/{pdf['id']}", headers=api.auth("agent"))
    assert resp.status == 200 and await resp.read() == PDF
    assert resp.headers["Content-Type"] == "application/pdf" and resp.headers["X-Content-Type-Options"] == "nosniff"
    # A client's PDF is downloaded, not rendered as a page of ours; an image may show inline.
    assert resp.headers["Content-Disposition"].startswith("attachment;")
    resp = await api.client.get(f"/api/v1/orders/{number}/attachments/{png['id']}",
                                headers={**api.auth("agent"), "Range": "bytes=0-7"})
    assert resp.status == 206 and await resp.read() == PNG[:8]
    assert resp.headers["Content-Range"] == f"bytes 0-7/{len(PNG)}"
    assert resp.headers["Content-Disposition"].startswith("inline;")
    resp = await api.client.get(f"/api/v1/orders/{number}/attachments/{png['id']}",
                                headers={**api.auth("agent"), "Range": "bytes=999-"})
    assert resp.status == 416


async def test_downloads_follow_who_may_see_the_order(api: Api) -> None:
    _, body = await upload(api, "agent", ("材料.pdf", PDF))
    [item] = body["items"]
    _, order = await api.call("agent", "POST", "/api/v1/orders", {**ORDER, "attachments": [item["id"]]})
    url = f"/api/v1/orders/{order['number']}/attachments/{item['id']}"
    for who in ("zjj", "jtj"):  # not dispatched yet: no unit sees it
        status, problem = await api.call(who, "GET", url)
        assert status == 404 and problem["error_id"] == "order-not-found", who
    await api.act("agent", order["number"], "dispatch", {"lead_unit": api.units["区住建局"]})
    resp = await api.client.get(url, headers=api.auth("zjj"))
    assert resp.status == 200 and await resp.read() == PDF
    status, _ = await api.call("jtj", "GET", url)  # another unit's handler learns nothing
    assert status == 404
    # An id of another order, or none at all, through this order: not found either way.
    _, other = await api.call("agent", "POST", "/api/v1/orders", ORDER)
    status, problem = await api.call("agent", "GET", f"/api/v1/orders/{other['number']}/attachments/{item['id']}")
    assert status == 404 and problem["error_id"] == "attachment-not-found"
    status, _ = await api.call("agent", "GET", f"/api/v1/orders/{order['number']}/attachments/..%2F..%2Fetc%2Fpasswd")
    assert status == 404


async def test_only_files_the_person_may_see_can_be_attached(api: Api) -> None:
    _, body = await upload(api, "agent", ("a.pdf", PDF))
    [mine] = body["items"]
    # Someone else's upload that is attached nowhere yet: unknown to the supervisor.
    status, problem = await api.call("boss", "POST", "/api/v1/orders", {**ORDER, "attachments": [mine["id"]]})
    assert status == 422 and problem["error_id"] == "unknown-attachment"
    status, problem = await api.call("agent", "POST", "/api/v1/orders", {**ORDER, "attachments": ["Z" * 24]})
    assert status == 422 and problem["error_id"] == "unknown-attachment"
    assert await orders_total(api) == 0
    status, first = await api.call("agent", "POST", "/api/v1/orders", {**ORDER, "attachments": [mine["id"]]})
    assert status == 201
    # Once it belongs to an order the supervisor may see, referencing it is seeing it again.
    status, second = await api.call("boss", "POST", "/api/v1/orders", {**ORDER, "attachments": [mine["id"]]})
    assert status == 201
    _, listed = await api.call("boss", "GET", f"/api/v1/orders/{second['number']}/attachments")
    assert [i["order_number"] for i in listed["items"]] == [first["number"]]  # the owner stays the first order


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("情况说明.docx", _docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("录音.wav", b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 28, "audio/wav"),
    ("扫描件.tif", b"II*\x00" + b"\x00" * 20, "image/tiff"),
    ("照片.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
])
async def test_accepted_kinds_are_typed_by_their_bytes(api: Api, name: str, data: bytes, expected: str) -> None:
    status, body = await upload(api, "agent", (name, data), content_type="text/html")  # the declared type is ignored
    assert status == 201 and body["items"][0]["content_type"] == expected


@pytest.mark.parametrize(("name", "data"), [
    ("invoice.pdf", b"<html><script>alert(1)</script></html>"),  # HTML named .pdf
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60),
    ("archive.zip", _docx().replace(b"word/document.xml", b"word/documenx.xml")),
    ("empty.pdf", b""),
    ("old.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 20),  # legacy Office: only as .doc or .xls
])
async def test_other_kinds_are_refused(api: Api, name: str, data: bytes) -> None:
    status, problem = await upload(api, "agent", (name, data))
    assert status == 415 and problem["error_id"] == "unsupported-file-type"


async def test_uploads_are_bounded_and_for_order_takers_only(api: Api) -> None:
    status, problem = await upload(api, "agent", ("big.pdf", PDF + b"0" * (64 * 1024)))
    assert status == 413 and problem["error_id"] == "file-too-large"
    status, problem = await upload(api, "agent", *[(f"{i}.pdf", PDF) for i in range(11)])
    assert status == 413
    status, problem = await upload(api, "zjj", ("a.pdf", PDF))
    assert status == 403
    status, problem = await upload(api, None, ("a.pdf", PDF))
    assert status == 401
    resp = await api.client.post("/api/v1/attachments", data=PDF, headers={**api.auth("agent"),
                                                                           "Content-Type": "application/pdf"})
    assert resp.status == 415
    status, problem = await api.call("agent", "POST", "/api/v1/attachments", {"path": "/etc/passwd"})
    assert status == 415


async def test_a_file_name_is_only_a_label(api: Api) -> None:
    status, body = await upload(api, "agent", ("../../etc/报告<script>.pdf", PDF), ("..", PDF))
    assert status == 201
    names = [i["name"] for i in body["items"]]
    assert names[0] == "报告_script_.pdf" and names[1] == "附件.pdf"
    assert all("/" not in n and "\\" not in n for n in names)
    # A raw control character in the part's header, as no well-behaved client sends it.
    raw = (b'--B\r\nContent-Disposition: form-data; name="file"; filename="a\x07\x00b.pdf"\r\n'
           b"Content-Type: application/pdf\r\n\r\n" + PDF + b"\r\n--B--\r\n")
    resp = await api.client.post("/api/v1/attachments", data=raw, headers={
        **api.auth("agent"), "Content-Type": "multipart/form-data; boundary=B"})
    assert resp.status in (201, 400), await resp.text()
    if resp.status == 201:
        assert (await resp.json())["items"][0]["name"] == "a_b.pdf"


async def test_uploads_no_order_took_are_removed_after_a_week(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    service = api.client.server.app[BLOBS]
    _, body = await upload(api, "agent", ("kept.pdf", PDF), ("dropped.png", PNG))
    kept, dropped = body["items"]
    location = (await service.repo.get_many([dropped["id"]]))[dropped["id"]].location

    async def crash_before_attaching(ids: object, number: str) -> None:
        return None  # the order is stored; the process died before the blob learnt its owner

    monkeypatch.setattr(service, "attach", crash_before_attaching)
    _, order = await api.call("agent", "POST", "/api/v1/orders", {**ORDER, "attachments": [kept["id"]]})
    monkeypatch.undo()
    api.clock.now += timedelta(days=6)
    assert await service.sweep() == 0  # a week is not over
    api.clock.now += timedelta(days=2)
    assert await service.sweep() == 1
    found = await service.repo.get_many([kept["id"], dropped["id"]])
    assert set(found) == {kept["id"]} and found[kept["id"]].order_number == order["number"]
    assert not (service.files.roots["store"] / location).exists()
    resp = await api.client.get(f"/api/v1/orders/{order['number']}/attachments/{kept['id']}",
                                headers=api.auth("agent"))
    assert resp.status == 200 and await resp.read() == PDF
