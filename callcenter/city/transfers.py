"""Transfers from the city: each city order id becomes exactly one registered order.

The id is claimed first (a row in city_transfers, unique), then the order is created and the row
completed with its number. A retry of the same body finds the row and gets the same order; other
content under the same id is a conflict. Concurrent requests for one id wait for the first. A claim
whose node died before completing it is taken over after ``STALE_CLAIM``: the order it may have
created is looked up first (same channel and receipt time, same city number), so none is doubled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.db.engine import write_transaction
from callcenter.db.tables import orders as orders_table
from callcenter.orders.services import OrderService
from worksheet.intake import validate
from worksheet.model import Actor, Channel, Role, WorkOrder

from .errors import CityTransferConflict
from .schema import Transfer
from .tables import city_transfers

CITY_ACTOR = Actor("city-platform", Role.SYSTEM)
STALE_CLAIM = timedelta(seconds=30)
WAIT_ROUNDS, WAIT_S = 50, 0.1  # how long a concurrent request for the same id waits for the first


class CityTransfers:
    def __init__(self, engine: AsyncEngine, orders: OrderService, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.orders = orders
        self.clock = clock

    async def receive(self, transfer: Transfer) -> tuple[WorkOrder, bool]:
        """(the order, whether this call created it)."""
        validate(transfer.spec, self.clock())  # bad content claims nothing
        for _ in range(WAIT_ROUNDS):
            row = await self._row(transfer.city_order_id)
            if row is None:
                if await self._claim(transfer):
                    return await self._create(transfer), True
                continue
            if row.digest != transfer.digest:
                raise CityTransferConflict(
                    f"city order {transfer.city_order_id} was transferred before with different content")
            if row.order_number is not None:
                return await self.orders.orders.get(row.order_number), False
            if row.claimed_at <= self.clock() - STALE_CLAIM and await self._take_over(row):
                found = await self._already_created(transfer)
                return (await self._complete(transfer, found), False) if found else (await self._create(transfer), True)
            await asyncio.sleep(WAIT_S)
        raise CityTransferConflict(f"city order {transfer.city_order_id} is being stored by another request; retry",
                                   error_id="city-transfer-in-progress", retry_after=5)

    async def order_number(self, city_order_id: str) -> str | None:
        """Our number for the city's, once the transfer is stored."""
        row = await self._row(city_order_id)
        return row.order_number if row is not None else None

    async def _row(self, city_order_id: str) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(select(city_transfers).where(
                city_transfers.c.city_order_id == city_order_id))).first()

    async def _claim(self, transfer: Transfer) -> bool:
        now = self.clock()
        dialect: Any = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(city_transfers).values(
            city_order_id=transfer.city_order_id, digest=transfer.digest, order_number=None, claimed_at=now,
            created_at=now).on_conflict_do_nothing(index_elements=["city_order_id"])
        async with write_transaction(self.engine) as conn:
            return bool((await conn.execute(stmt)).rowcount)

    async def _take_over(self, row: Any) -> bool:
        t = city_transfers
        async with write_transaction(self.engine) as conn:
            result = await conn.execute(update(t).where(
                t.c.city_order_id == row.city_order_id, t.c.order_number.is_(None),
                t.c.claimed_at == row.claimed_at).values(claimed_at=self.clock()))
            return bool(result.rowcount)

    async def _create(self, transfer: Transfer) -> WorkOrder:
        try:
            order = await self.orders.create(transfer.spec, CITY_ACTOR)
        except Exception:
            async with write_transaction(self.engine) as conn:  # free the id: the city may retry
                await conn.execute(delete(city_transfers).where(
                    city_transfers.c.city_order_id == transfer.city_order_id,
                    city_transfers.c.order_number.is_(None)))
            raise
        return await self._complete(transfer, order)

    async def _complete(self, transfer: Transfer, order: WorkOrder) -> WorkOrder:
        async with write_transaction(self.engine) as conn:
            await conn.execute(update(city_transfers).where(
                city_transfers.c.city_order_id == transfer.city_order_id).values(order_number=order.number))
        return order

    async def _already_created(self, transfer: Transfer) -> WorkOrder | None:
        o = orders_table
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(o.c.number, o.c.snapshot).where(
                o.c.channel == Channel.CITY_PLATFORM.value, o.c.received_at == transfer.spec.received_at))
            numbers = [r.number for r in rows if ((r.snapshot or {}).get("city") or {}).get("number")
                       == transfer.city_order_id]
        return await self.orders.orders.get(numbers[0]) if numbers else None
