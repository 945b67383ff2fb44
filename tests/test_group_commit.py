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


async def test_an_enqueued_message_is_what_was_stored_and_a_key_twice_in_a_batch_is_stored_once(
        repo: OrderRepository) -> None:
    """The outbox builds the messages it returns from what it inserted (no read back): they must
    equal the stored rows, and a key queued twice in one commit is created by its first caller."""
    outbox = SmsOutbox(repo.engine)
    first = OutboundSms(to="+8613800138000", template="order_accepted", params={"order_no": "1"}, text="第一条",
                        idempotency_key="same")
    second = OutboundSms(to="+8613900139000", template="order_accepted", params={"order_no": "2"}, text="第二条",
                         idempotency_key="same")
    other = OutboundSms(to="+8613700137000", template="order_replied", params={"order_no": "3"}, text="第三条",
                        idempotency_key="other")
    (a, a_new), (b, b_new), (c, c_new) = await asyncio.gather(
        outbox.enqueue(first, T, order_number="20261123-0001"), outbox.enqueue(second, T),
        outbox.enqueue(other, T, not_before=at("2026-11-23T10:00:00")))
    # SQLite: one commit, the first caller's row; PostgreSQL: parallel inserts, either may win.
    assert c_new and [a_new, b_new].count(True) == 1 and (a_new or repo.engine.dialect.name == "postgresql")
    stored = await outbox.get(a.id)
    assert a == b == stored
    assert c == await outbox.get(c.id)
    assert (a.body, a.to_phone) == (("第一条", "+8613800138000") if a_new else ("第二条", "+8613900139000"))
    assert c.next_attempt_at == at("2026-11-23T10:00:00")
    again, created = await outbox.enqueue(other, T)
    assert not created and again == c
