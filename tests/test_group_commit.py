"""Concurrent creates share commits (SQLite) or run in parallel (PostgreSQL): every
acknowledged order is stored, numbers stay consecutive, and one bad item fails alone."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from callcenter.db.engine import create_engine
from callcenter.db.migrate import upgrade
from callcenter.db.orders import OrderRepository
from callcenter.sms.outbox import SmsOutbox
from callcenter.sms.port import OutboundSms
from tests.domain_helpers import AGENT, at, policy
from worksheet.intake import NewOrder
from worksheet.lifecycle import create_order
from worksheet.model import Category, Channel, Enterprise

POL = policy()
T = at("2026-11-23T09:00:00")


def builder(i: int, fail: bool = False):  # type: ignore[no-untyped-def]
    def build(number: str):  # type: ignore[no-untyped-def]
        if fail:
            raise RuntimeError("this one is broken")
        spec = NewOrder(channel=Channel.WEB, category=Category.HELP, enterprise=Enterprise(f"企业{i}"),
                        subject=f"事项{i}", content=f"内容{i}", received_at=T)
        return create_order(spec, number, AGENT, T, POL)
    return build


@pytest.fixture
async def repo(db_url: str):  # type: ignore[no-untyped-def]
    await upgrade(db_url)
    engine = create_engine(db_url)
    yield OrderRepository(engine)
    await engine.dispose()


async def test_concurrent_creates_are_all_stored_with_consecutive_numbers(repo: OrderRepository) -> None:
    day = date(2026, 11, 23)
    results = await asyncio.gather(
        *(repo.add_numbered(day, builder(i, fail=(i == 7))) for i in range(60)), return_exceptions=True
    )
    failed = [r for r in results if isinstance(r, Exception)]
    created = [r for r in results if not isinstance(r, Exception)]
    assert len(failed) == 1 and "broken" in str(failed[0])
    assert len(created) == 59
    numbers = sorted(o.number for o in created)
    assert len(set(numbers)) == 59 and all(n.startswith("20261123-") for n in numbers)
    for order in created:
        stored = await repo.get(order.number)
        assert stored == order
    _, total = await repo.search(limit=1)
    assert total == 59


async def test_orders_and_confirmations_share_commits_and_a_bad_order_fails_alone(repo: OrderRepository) -> None:
    """Both kinds of write queue in the database's one group commit; a broken order in the batch
    fails only its own caller, the confirmations and the other orders are stored."""
    outbox = SmsOutbox(repo.engine)
    day = date(2026, 11, 23)
    sms = [OutboundSms(to="+8613800138000", template="order_accepted", params={"order_no": str(i)}, text=f"第{i}条",
                       idempotency_key=f"k{i}") for i in range(20)]
    results = await asyncio.gather(
        *(repo.add_numbered(day, builder(i, fail=(i == 3))) for i in range(20)),
        *(outbox.enqueue(s, T) for s in sms), return_exceptions=True)
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 1 and "broken" in str(failed[0])
    assert [created for _, created in results[20:]] == [True] * 20  # type: ignore[misc]
    _, total = await repo.search(limit=1)
    assert total == 19
    assert len(await outbox.list()) == 20
