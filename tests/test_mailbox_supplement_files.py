"""A supplement can bring files (a mail's attachments): they join the order's attachments, the
history replays to the same order, and the order's limit and the id shape hold."""

from __future__ import annotations

import pytest

from tests.domain_helpers import SYSTEM, at, new_order, policy
from worksheet import commands as c
from worksheet.attachments import MAX_ATTACHMENTS
from worksheet.errors import ValidationError
from worksheet.evolve import replay
from worksheet.lifecycle import handle

NOW = at("2026-11-23T10:00:00")
A, B = "a" * 20, "b" * 20


def test_supplement_files_join_the_order_and_replay() -> None:
    pol = policy()
    order = new_order(NOW, pol)
    order, events = handle(c.AddSupplement(actor=SYSTEM, text="照片", attachments=(A, B, A)), order, NOW, pol)
    assert order.attachments == (A, B) and events[-1].data["attachments"] == [A, B]
    again, _ = handle(c.AddSupplement(actor=SYSTEM, text="再发一次", attachments=(B,)), order, NOW, pol)
    assert again.attachments == (A, B)  # a file the order has is not listed twice
    assert replay(again.history) == again
    plain, _ = handle(c.AddSupplement(actor=SYSTEM, text="只有文字"), order, NOW, pol)
    assert "attachments" not in plain.history[-1].data


@pytest.mark.parametrize("ids", [("../../etc/passwd",), tuple(f"{n:020d}" for n in range(MAX_ATTACHMENTS + 1))])
def test_paths_and_too_many_files_are_refused(ids: tuple[str, ...]) -> None:
    pol = policy()
    with pytest.raises(ValidationError):
        handle(c.AddSupplement(actor=SYSTEM, text="x", attachments=ids), new_order(NOW, pol), NOW, pol)
