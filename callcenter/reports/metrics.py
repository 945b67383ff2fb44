"""One period's report, computed without I/O from orders (with history) and call records.

Pure so that every number can be checked by hand in a test and recomputed for any past period from
the same inputs. The service decides what to load; this module decides what the numbers mean.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from callcenter.reports import callstats, labels, ontime, ranking
from callcenter.reports.callstats import CallStats, call_stats
from callcenter.reports.periods import Period
from callcenter.reports.ranking import UnitRank, rank_units
from callcenter.reports.rates import NamedRate, Rate
from callcenter.reports.tallies import Tally, ledger
from worksheet.deadlines import Policy
from worksheet.model import Category, Channel, Status, WorkOrder

RECEIVED_DEFINITION = (
    "orders whose receipt time (received_at) falls in the period, in their current state: drafts (not yet "
    "confirmed by an agent), discarded drafts (作废: silence, wrong numbers, spam) and orders merged into "
    "another are excluded, so a repeat is counted once. "
    "By lead unit = the current lead unit (null: not dispatched)."
)
SATISFACTION_DEFINITION = (
    "(satisfied + basically satisfied) / callback ratings recorded in the period (one per callback-result "
    "event; an order surveyed twice counts twice)."
)
RETURN_DEFINITION = "return events / dispatch + redispatch events, both in the period."
EXTENSION_DEFINITION = "extension requests / dispatch + redispatch events, both in the period."
DUPLICATE_DEFINITION = (
    "orders received in the period that were flagged as possible duplicates at intake or merged into "
    "another order / orders received in the period (drafts and discarded drafts excluded, merged included)."
)


# Never accepted as orders: a draft still waiting for an agent, or one discarded as no matter at all.
NOT_ACCEPTED = frozenset({Status.DRAFT, Status.DISCARDED})


@dataclass(frozen=True, slots=True)
class Received:
    total: int
    by_channel: Mapping[str, int]
    by_category: Mapping[str, int]
    by_unit: Mapping[str | None, int]  # lead unit code; None = not dispatched

    def to_json(self, names: Mapping[str, str]) -> dict[str, Any]:
        return {
            "total": self.total, "definition": RECEIVED_DEFINITION,
            "by_channel": [{"key": k, "label": labels.CHANNELS[k], "count": n} for k, n in self.by_channel.items()],
            "by_category": [{"key": k, "label": labels.CATEGORIES[k], "count": n}
                            for k, n in self.by_category.items()],
            "by_unit": [{"key": k, "label": names.get(k, k) if k else labels.UNDISPATCHED, "count": n}
                        for k, n in self.by_unit.items()],
        }


@dataclass(frozen=True, slots=True)
class Report:
    period: Period
    generated_at: datetime
    received: Received
    calls: CallStats
    totals: Tally
    rates: tuple[NamedRate, ...]
    ranking: tuple[UnitRank, ...]
    unit_names: Mapping[str, str]

    def rate(self, key: str) -> NamedRate:
        return next(r for r in self.rates if r.key == key)

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period.to_json(), "generated_at": self.generated_at.isoformat(),
            "received": self.received.to_json(self.unit_names),
            "rates": {r.key: r.to_json() for r in self.rates},
            "calls": self.calls.to_json(), "events": self.totals.to_json(),
            "ranking": {"definition": ranking.DEFINITION, "units": [u.to_json() for u in self.ranking]},
        }


def received(orders: Iterable[WorkOrder], period: Period) -> tuple[Received, Rate]:
    """The received counts, and the duplicate-order rate (which keeps merged orders, see its definition)."""
    mine = [o for o in orders if period.contains(o.received_at) and o.status not in NOT_ACCEPTED]
    flagged = sum(1 for o in mine if o.status == Status.MERGED or o.suspected_duplicates)
    counted = [o for o in mine if o.status != Status.MERGED]
    units = Counter(o.lead_unit for o in counted)
    by_unit = dict(sorted(units.items(), key=lambda kv: (kv[0] is None, -kv[1], kv[0] or "")))
    channels, categories = Counter(o.channel.value for o in counted), Counter(o.category.value for o in counted)
    return Received(
        len(counted), {c.value: channels[c.value] for c in Channel}, {c.value: categories[c.value] for c in Category},
        by_unit,
    ), Rate(flagged, len(mine))


def build_report(
    orders: Iterable[WorkOrder], calls: Iterable[Mapping[str, Any]], policy: Policy, period: Period, *,
    generated_at: datetime, unit_names: Mapping[str, str] | None = None,
) -> Report:
    """`orders` may hold more than the period needs (each number is filtered by its own time rule);
    they must carry their full history. `calls` are call-record dicts (callcenter.calls.record)."""
    orders = list(orders)
    names = dict(unit_names or {})
    counts, duplicates = received(orders, period)
    book = ledger(orders, period, policy)
    stats = call_stats(calls)
    t = book.total
    rates = (
        NamedRate("answer_rate", labels.RATES["answer_rate"], stats.answer_rate, callstats.ANSWER_DEFINITION),
        NamedRate("on_time_rate", labels.RATES["on_time_rate"], Rate(t.on_time, t.judged), ontime.DEFINITION),
        NamedRate("satisfaction_rate", labels.RATES["satisfaction_rate"], Rate(t.satisfied, t.rated),
                  SATISFACTION_DEFINITION),
        NamedRate("return_rate", labels.RATES["return_rate"], Rate(t.returned, t.dispatched), RETURN_DEFINITION),
        NamedRate("extension_rate", labels.RATES["extension_rate"], Rate(t.extension_requests, t.dispatched),
                  EXTENSION_DEFINITION),
        NamedRate("repeat_call_rate", labels.RATES["repeat_call_rate"], stats.repeat_rate,
                  callstats.REPEAT_DEFINITION),
        NamedRate("duplicate_order_rate", labels.RATES["duplicate_order_rate"], duplicates, DUPLICATE_DEFINITION),
    )
    return Report(period, generated_at, counts, stats, t, rates, tuple(rank_units(book.units, names)), names)
