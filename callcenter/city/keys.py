"""Application keys of the city interface (absent when the channel is off)."""

from __future__ import annotations

from aiohttp import web

from .delivery import CityConfig, CityUpdates
from .transfers import CityTransfers

CITY_CONFIG = web.AppKey("city_config", CityConfig)
CITY_TRANSFERS = web.AppKey("city_transfers", CityTransfers)
CITY_UPDATES = web.AppKey("city_updates", CityUpdates)
