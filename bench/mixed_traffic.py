"""What the mixed-load bench's clients do, as pure functions: which kind of request comes next, the
next lifecycle step of an order, the request bodies, and the analysis of the recorded requests.
Kept free of I/O so tests can check it (tests/test_load_bench_parts.py)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from load_common import percentile
from orders_bench import MATTERS, PLACES

# 70 % reads, 20 % lifecycle actions, 10 % creates; a login (argon2) takes 2 points of the reads:
# staff log in at the start of a shift and after a token expires, far less often than they read.
MIX: dict[str, int] = {"list": 30, "detail": 25, "search": 13, "login": 2, "action": 20, "create": 10}
READS = ("list", "detail", "search")

SEARCH_WORDS = ("道路施工", "用电增容", "污水", "乱收费", "落户", "规划许可", "公交", "高新技术")
CATEGORIES = ("help", "complaint", "consultation", "suggestion", "report")
FIRMS = 5000  # enterprises (and phone numbers) the orders are spread over


def choose_kind(rng: random.Random, mix: dict[str, int] = MIX) -> str:
    return rng.choices(tuple(mix), weights=tuple(mix.values()))[0]


def new_order(rng: random.Random, serial: int) -> dict[str, object]:
    firm = rng.randrange(FIRMS)
    matter = rng.choice(MATTERS)
    return {"channel": "phone", "category": rng.choice(CATEGORIES),
            "enterprise": {"name": f"绵阳第{firm}号企业有限公司", "contact_person": "王经理",
                           "phone": f"139{firm:08d}"},
            "subject": matter[:12], "content": f"{matter}（{rng.choice(PLACES)}，编号{serial}）"}


def list_query(rng: random.Random, units: Sequence[str]) -> str:
    return rng.choice((
        "status=dispatched", "status=handling,replied", f"unit={rng.choice(units)}", "category=complaint",
        "overdue=false&status=dispatched", "channel=phone&status=registered", "",
    )) + "&limit=20"


def search_query(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"q={rng.choice(SEARCH_WORDS)}&limit=20"
    return f"q=第{rng.randrange(FIRMS)}号&limit=20"


@dataclass
class Tracked:
    """An order the bench moves through its lifecycle (only one client holds it at a time)."""

    number: str
    status: str = "registered"
    unit: str | None = None
    returned: bool = False
    extended: bool = False


@dataclass(frozen=True)
class Step:
    action: str
    role: str  # agent, supervisor or unit (the handler of the order's lead unit)
    body: dict[str, object]
    to: str  # the status the order is in afterwards


def next_step(order: Tracked, rng: random.Random, units: Sequence[str]) -> Step:
    """The next thing someone does with ``order``: the normal path dispatch → accept → reply →
    check → callback, with one return (10 %) and one extension request (15 %) along the way."""
    match order.status:
        case "registered" | "returned":
            unit = rng.choice([u for u in units if u != order.unit] or list(units))
            action = "dispatch" if order.status == "registered" else "redispatch"
            return Step(action, "agent", {"lead_unit": unit}, "dispatched")
        case "dispatched":
            if not order.returned and rng.random() < 0.10:
                return Step("return", "unit", {"reason": "不属于本单位职责", "basis": "《三定方案》"}, "returned")
            return Step("accept", "unit", {}, "handling")
        case "handling":
            if not order.extended and rng.random() < 0.15:
                return Step("request-extension", "unit", {"reason": "需协调多个部门"}, "extension_requested")
            return Step("reply", "unit", {"content": "已现场核实并协调解决"}, "replied")
        case "extension_requested":
            return Step("decide-extension", "supervisor", {"approve": True}, "handling")
        case "replied":
            return Step("check", "supervisor", {"passed": True}, "callback_pending")
        case "callback_pending":
            return Step("callback-result", "agent", {"rating": "satisfied"}, "closed")
    raise ValueError(f"no next step from {order.status}")


def advance(order: Tracked, step: Step) -> None:
    """Record a step the server accepted."""
    if step.action in ("dispatch", "redispatch"):
        order.unit = str(step.body["lead_unit"])
    order.returned |= step.action == "return"
    order.extended |= step.action == "request-extension"
    order.status = step.to


@dataclass(frozen=True)
class Request:
    kind: str
    start: float
    end: float
    status: int

    @property
    def seconds(self) -> float:
        return self.end - self.start


def is_error(status: int, expected: frozenset[int] = frozenset()) -> bool:
    """Any answer that is not 2xx and not one of the 4xx this request may legitimately get."""
    return not 200 <= status < 300 and status not in expected


def overlaps_login(requests: Sequence[Request], kinds: Sequence[str] = READS) -> tuple[list[float], list[float]]:
    """Latencies of the requests of ``kinds`` (the reads: they take no write lock, so a login's
    own writes cannot delay them) that ran while a login was in flight, and of the others: if
    argon2 sat on the event loop, the first group's tail would be a login's length longer."""
    logins = sorted((r.start, r.end) for r in requests if r.kind == "login")
    during, apart = [], []
    for r in requests:
        if r.kind not in kinds:
            continue
        hit = any(s < r.end and r.start < e for s, e in logins)
        (during if hit else apart).append(r.seconds)
    return during, apart


def latency_table(requests: Sequence[Request]) -> list[tuple[str, int, float, float, float]]:
    """(kind, count, p50 ms, p99 ms, max ms) per kind, the reads together as well, in MIX order."""
    rows = []
    groups = {k: [r.seconds for r in requests if r.kind == k] for k in MIX}
    groups["reads (all)"] = [r.seconds for r in requests if r.kind in READS]
    for kind, values in groups.items():
        if values:
            rows.append((kind, len(values), percentile(values, 50) * 1000, percentile(values, 99) * 1000,
                         max(values) * 1000))
    return rows
