"""Loading the directory file into the database, and the directory and catalogue the extractor uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callcenter.enterprises.loader import read_directory_csv
from worksheet.extract import DispatchCatalogue, EnterpriseDirectory

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

DATA = Path(__file__).resolve().parent.parent / "data"
CATALOGUE_FILE = DATA / "dispatch_catalogue.json"
DUTIES_FILE = DATA / "unit_duties.json"
DEMO_DIRECTORY = DATA / "enterprises_demo.csv"


async def load_enterprises(engine: AsyncEngine, path: str | Path) -> dict[str, Any]:
    """Upsert the CSV's good rows; the report lists the skipped ones with line numbers and reasons.
    Raises `DirectoryFileError` when the file as a whole is unusable."""
    from callcenter.enterprises.repository import EnterpriseRepository  # the database layer, when used

    entries, errors = read_directory_csv(path)
    result = await EnterpriseRepository(engine).upsert_many(entries)
    return {
        "file": str(path),
        "rows_ok": len(entries),
        "inserted": result.inserted,
        "updated": result.updated,
        "skipped": len(errors) + len(result.conflicts),
        "errors": [e.to_json() for e in errors] + [{"name": n, "reason": r} for n, r in result.conflicts],
    }


async def directory_from_db(engine: AsyncEngine) -> EnterpriseDirectory:
    from callcenter.enterprises.repository import EnterpriseRepository

    return EnterpriseDirectory(await EnterpriseRepository(engine).all())


def load_catalogue(path: str | Path | None = None) -> DispatchCatalogue:
    """The dispatch catalogue (default: the packaged Fucheng one joined with its departments' duties)."""
    if path is not None:
        return DispatchCatalogue.from_json(_read_json(path))
    return DispatchCatalogue.merged(*(DispatchCatalogue.from_json(_read_json(p)) for p in (CATALOGUE_FILE, DUTIES_FILE)))


def _read_json(path: str | Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)
