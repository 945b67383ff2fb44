"""Order-status queries over the real PBX: the caller keys in an order number (RFC 4733 digits
through the trunk) and hears its status, or hears that it was not found."""

from __future__ import annotations

from typing import Any

from tests.pbx.audio import measure
from tests.pbx.world import World

ORDER = {"channel": "phone", "category": "help",
         "enterprise": {"name": "绵阳华翔物流有限公司", "contact_person": "王经理", "phone": "13800138300"},
         "subject": "道路施工影响货物运输", "content": "华翔路道路施工，附近企业货物无法运出。"}


def query_script(digits: str) -> list[str]:
    # welcome, main menu: 4 = order status; the number and '#'; then 1 = goodbye
    return ["wait:4", "dtmf:4", "wait:4", f"dtmf:{digits}#", "wait:12", "dtmf:1", "wait:5"]


def ended_call(world: World, number: str) -> dict[str, Any]:
    data = world.app.wait_for("/api/v1/calls?limit=50", lambda d: any(
        c.get("ended_at") and (c.get("caller") or "").endswith(number[-4:]) for c in d["items"]), timeout=60)
    summary = next(c for c in data["items"] if (c.get("caller") or "").endswith(number[-4:]))
    return world.app.get(f"/api/v1/calls/{summary['linkedid']}")


def test_a_caller_hears_the_status_of_an_existing_order(world: World) -> None:
    status, order = world.app.api("POST", "/api/v1/orders", ORDER)
    assert status == 201, order
    tag = world.call(query_script(order["number"].replace("-", "")), number="13800138301")
    world.wait_caller_gone(tag)
    record = ended_call(world, "13800138301")
    path = record.get("ivr_path") or record.get("path") or []
    assert "order" in path and "order-after" in path and "goodbye" in path, record
    # from the end of the keyed number to the caller's "1": the status is spoken, no dead air
    heard = measure(world.heard_file(tag), start_s=world.step_offset(tag, "wait:12"),
                    end_s=world.step_offset(tag, "dtmf:1"))
    assert heard.loud_seconds > 6 and heard.longest_silence_s < 3, heard


def test_an_unknown_order_number_is_said_to_be_not_found(world: World) -> None:
    tag = world.call(query_script("209901019999")[:4] + ["wait:6"], number="13800138302")
    world.wait_caller_gone(tag)
    record = ended_call(world, "13800138302")
    path = record.get("ivr_path") or record.get("path") or []
    assert "order" in path and "order-after" not in path, record
    assert record.get("dtmf", "").startswith("4209901019999"), record
