"""The enterprise directory (企业名录): CSV loading, storage, and the draft-extraction commands."""

from __future__ import annotations

from callcenter.enterprises.loader import (
    DirectoryFileError,
    RowError,
    directory_from_csv,
    parse_directory_csv,
    read_directory_csv,
)
from callcenter.enterprises.repository import EnterpriseRepository
from callcenter.enterprises.service import directory_from_db, load_catalogue, load_enterprises

__all__ = [
    "DirectoryFileError", "EnterpriseRepository", "RowError", "directory_from_csv", "directory_from_db",
    "load_catalogue", "load_enterprises", "parse_directory_csv", "read_directory_csv",
]
