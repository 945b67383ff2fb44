"""The city channel assembled (for the composition root): None while it is not configured."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.orders.services import OrderService

from .delivery import CityConfig, CityUpdates
from .keys import CITY_CONFIG, CITY_TRANSFERS, CITY_UPDATES
from .outbox import CityOutbox
from .transfers import CityTransfers


@dataclass(frozen=True)
class CityChannel:
    config: CityConfig
    transfers: CityTransfers
    updates: CityUpdates

    def attach(self, app: web.Application) -> None:
        app[CITY_CONFIG], app[CITY_TRANSFERS], app[CITY_UPDATES] = self.config, self.transfers, self.updates


def build_city(secrets: tuple[str, ...], base_url: str | None, engine: AsyncEngine, orders: OrderService,
               clock: Callable[[], datetime]) -> CityChannel | None:
    if not secrets or not base_url:
        return None
    config = CityConfig(secrets, base_url)
    updates = CityUpdates(CityOutbox(engine), config, clock)
    orders.observers.append(updates.on_order_changed)  # after the order is stored: never in its transaction
    return CityChannel(config, CityTransfers(engine, orders, clock), updates)
