"""The draft extractor the speech pipeline (and SMS/fax intake) calls: the pure
``worksheet.extract`` with the deployment's enterprise directory and dispatch catalogue.

The directory lives in the database and changes rarely (``zhitong enterprises load``); it is
re-read at most every ``ttl`` seconds, never per call. Extraction is CPU work (pinyin, fuzzy
matching), so it runs in a thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from callcenter.enterprises.service import load_catalogue
from worksheet.extract import DispatchCatalogue, EnterpriseDirectory, TimedWord, extract_draft

DirectoryLoader = Callable[[], Awaitable[EnterpriseDirectory | None]]


class DraftExtractor:
    def __init__(self, load_directory: DirectoryLoader, catalogue: DispatchCatalogue | None = None, *,
                 ttl: float = 60.0) -> None:
        self.load_directory = load_directory
        self.catalogue = catalogue if catalogue is not None else load_catalogue()
        self.ttl = ttl
        self._directory: EnterpriseDirectory | None = None
        self._loaded_at: float | None = None
        self._lock = asyncio.Lock()

    async def directory(self) -> EnterpriseDirectory | None:
        async with self._lock:
            if self._loaded_at is None or time.monotonic() - self._loaded_at > self.ttl:
                self._directory = await self.load_directory()
                self._loaded_at = time.monotonic()
            return self._directory

    async def __call__(self, text: str, caller: str | None, words: Sequence[Any]) -> dict[str, Any]:
        directory = await self.directory()
        timed = [TimedWord(w.word, w.start, w.end) for w in words]
        fields = await asyncio.to_thread(extract_draft, text, directory=directory, catalogue=self.catalogue,
                                         caller_id=caller, words=timed or None)
        return fields.to_json()
