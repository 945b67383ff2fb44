"""Reporting (统计报表): the weekly/monthly/quarterly ledger summaries and unit rankings of RULES.md §5.

The numbers are computed by pure functions (periods, calls, ontime, tallies, ranking, metrics) from
orders with their event history and call records; `service` loads what a period needs, `export`
writes CSV/XLSX, `http` serves them.
"""
