"""The enterprise directory (企业名录): CSV loading, storage, and the draft-extraction commands.

The names below are imported on first use, so that `zhitong draft` with a CSV directory does not load
the database layer it does not need.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOME = {
    "DirectoryFileError": "loader", "RowError": "loader", "directory_from_csv": "loader",
    "parse_directory_csv": "loader", "read_directory_csv": "loader", "EnterpriseRepository": "repository",
    "directory_from_db": "service", "load_catalogue": "service", "load_enterprises": "service",
}
__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
