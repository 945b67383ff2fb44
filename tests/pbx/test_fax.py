"""Faxes over the real PBX: the carrier's SendFAX (spandsp, G.711 audio) to the fax DID, the
shipped fax-in context's ReceiveFAX and FaxResult event, the app's OCR into a draft; from a
sender with a number and from one without."""

from __future__ import annotations

from typing import Any

from callcenter.fax.sample import render_fax_tiff
from tests.pbx.world import World

LINES = ["关于华翔路施工影响货物运输的求助", "绵阳华翔物流有限公司", "联系人：王经理", "请协调施工时间，保障车辆通行。"]


def send_fax(world: World, number: str | None, *, withheld: bool = False) -> dict[str, Any]:
    # The page header names no sender number: what the draft's phone is comes from the call.
    tiff = world.root / "clips" / "fax.tif"
    if not tiff.exists():
        tiff.write_bytes(render_fax_tiff(LINES, header="2026-12-06 10:15"))
    before = {f["id"] for f in world.app.get("/api/v1/faxes?limit=500")["items"]}
    tag = world.call(["wait:2", f"fax:{tiff}", "wait:1"], number=number, did="12346", withheld=withheld)
    world.wait_caller_gone(tag, 180)
    data = world.app.wait_for("/api/v1/faxes?limit=500", lambda d: any(
        f["id"] not in before and f["status"] in ("drafted", "failed", "error") for f in d["items"]), timeout=180)
    (fax,) = [f for f in data["items"] if f["id"] not in before]
    return fax


def assert_drafted(world: World, fax: dict[str, Any]) -> dict[str, Any]:
    assert fax["status"] == "drafted" and fax["pages"] == 1 and fax["order_number"], fax
    order = world.app.get(f"/api/v1/orders/{fax['order_number']}")
    assert order["channel"] == "fax"
    assert "华翔" in fax["text"] and "施工" in fax["text"], fax["text"]  # tesseract read the page
    pdf = world.app.download(f"/api/v1/faxes/{fax['id']}/document.pdf")
    assert pdf.startswith(b"%PDF")
    return order


def test_fax_from_a_sender_with_a_number(world: World) -> None:
    fax = send_fax(world, "02888886666")
    assert fax["caller"] and fax["caller"].endswith("6666"), fax
    assert assert_drafted(world, fax)["enterprise"]["phone"].endswith("6666")


def test_fax_from_a_withheld_sender_is_kept(world: World) -> None:
    fax = send_fax(world, "02888886667", withheld=True)
    assert not fax["caller"], fax
    assert fax["attempts"] <= 1, fax
    order = assert_drafted(world, fax)
    assert not order["enterprise"].get("phone")


def test_fax_from_a_sender_without_any_number_is_kept(world: World) -> None:
    fax = send_fax(world, None)
    assert not fax["caller"], fax
    assert not assert_drafted(world, fax)["enterprise"].get("phone")
