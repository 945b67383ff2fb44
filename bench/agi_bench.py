"""Benchmark: the FastAGI server under 200 concurrent simulated IVR calls, then 1,000 probes.

    python bench/agi_bench.py [--calls 200] [--probes 1000]

Phase 1: the PBX simulator (in its own process, like Asterisk) places ``--calls`` concurrent
calls that walk the real ``hotline`` route (welcome, menu 2, leave a message) against an
in-memory desk; the simulated caller thinks ~1 s before each key press, so all sessions are open
at once. The round trip (command written -> reply parsed, inside the server's session) is timed
for every command Asterisk answers at once; input commands wait for the caller and are counted.
Phase 2: ``--probes`` connect-then-close TCP probes (what load balancers and container health
checks do), 100 at a time, then one more real call to show the server still serves.
Throughout, a ticker measures event-loop lag (how late a 5 ms sleep wakes up).
Targets: p99 command round trip < 20 ms; the loop never stalls on probes.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callcenter.pbxsim import PbxSimulator  # noqa: E402
from callcenter.pbxsim.scenarios import IVR_LEAVE_MESSAGE  # noqa: E402
from ivr.agi import session as agi_session  # noqa: E402
from ivr.agi.server import AgiServer  # noqa: E402
from ivr.ports import OrderStatusView  # noqa: E402
from ivr.routes import build_routes  # noqa: E402


class MemoryDesk:
    def __init__(self) -> None:
        self.drafts = 0

    async def order_status(self, order_number: str) -> OrderStatusView | None:
        return None

    async def leave_message(self, **_: object) -> str:
        self.drafts += 1
        return f"20261123-{self.drafts:04d}"

    async def record_survey(self, **_: object) -> None:
        return None


ROUND_TRIPS: list[float] = []  # commands Asterisk answers at once (no caller input awaited)
INPUT_COMMANDS = 0
_command = agi_session.AgiSession.command


def waits_for_caller(name: str, args: tuple[str | int, ...]) -> bool:
    """Commands whose reply waits for the caller (the simulated think time), not timed."""
    name = name.upper()
    return name in ("GET DATA", "RECORD FILE", "WAIT FOR DIGIT", "GET OPTION") or (
        name == "STREAM FILE" and len(args) > 1 and bool(str(args[1]).strip('"')))


async def timed_command(self: agi_session.AgiSession, name: str, *args: str | int,
                        timeout: float | None = None) -> agi_session.AgiReply:
    global INPUT_COMMANDS
    t0 = time.perf_counter()
    try:
        return await _command(self, name, *args, timeout=timeout)
    finally:
        if waits_for_caller(name, args):
            INPUT_COMMANDS += 1
        else:
            ROUND_TRIPS.append(time.perf_counter() - t0)


class LagMeter:
    def __init__(self, server: AgiServer, period: float = 0.005) -> None:
        self.server = server
        self.period = period
        self.lags: list[float] = []
        self.max_live = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            t0 = loop.time()
            await asyncio.sleep(self.period)
            self.lags.append(loop.time() - t0 - self.period)
            self.max_live = max(self.max_live, self.server.live_sessions)

    def start(self) -> None:
        self.lags.clear()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> list[float]:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        return list(self.lags)


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] * 1000


async def probe(port: int) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.close()
    await writer.wait_closed()


def asterisk_side(port: int, calls: int, probes: int, time_scale: float, lockstep: bool,
                  out: mp.Queue) -> None:  # type: ignore[type-arg]
    """The simulated Asterisk, in its own process as in production (it must not share the
    server's event loop, or the bench would measure the simulator too)."""

    async def run() -> None:
        async with PbxSimulator(agi_target=("127.0.0.1", port), time_scale=time_scale) as sim:
            t0 = time.perf_counter()
            async def call(i: int) -> object:
                if not lockstep:
                    await asyncio.sleep(i / calls)  # arrivals spread over one think time
                return await sim.run(IVR_LEAVE_MESSAGE)

            results = await asyncio.gather(*(call(i) for i in range(calls)))
            out.put(("calls", time.perf_counter() - t0, sum(1 for r in results if r.error)))  # type: ignore[attr-defined]
            t0 = time.perf_counter()
            for i in range(0, probes, 100):
                await asyncio.gather(*(probe(port) for _ in range(min(100, probes - i))))
            out.put(("probes", time.perf_counter() - t0, 0))
            after = await sim.run(IVR_LEAVE_MESSAGE)
            out.put(("after", 0.0, 1 if after.error else 0))

    asyncio.run(run())


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--probes", type=int, default=1000)
    p.add_argument("--time-scale", type=float, default=50.0,
                   help="scales the simulated caller's 20 ms key-press delay (50 -> 1 s of think time)")
    p.add_argument("--lockstep", action="store_true",
                   help="worst case: all calls start together and press keys in the same instant")
    args = p.parse_args()
    agi_session.AgiSession.command = timed_command  # type: ignore[method-assign]
    desk = MemoryDesk()
    server = AgiServer(build_routes(desk))
    port = (await server.start("127.0.0.1", 0)).sockets[0].getsockname()[1]
    loop = asyncio.get_running_loop()
    out: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    child = mp.get_context("fork").Process(target=asterisk_side, args=(port, args.calls, args.probes, args.time_scale,
                                                                     args.lockstep, out))
    lag = LagMeter(server)
    lag.start()
    child.start()
    _, elapsed, errors = await loop.run_in_executor(None, out.get)
    lags = await lag.stop()
    print(f"{args.calls} IVR calls in {elapsed:.2f} s, up to {lag.max_live} sessions open at once: "
          f"{len(ROUND_TRIPS) + INPUT_COMMANDS} AGI commands ({INPUT_COMMANDS} waiting for caller input), "
          f"{desk.drafts} drafts, {errors} errors")
    print(f"  command round trip (server side): p50 {pct(ROUND_TRIPS, 0.5):.2f} ms, "
          f"p99 {pct(ROUND_TRIPS, 0.99):.2f} ms, max {max(ROUND_TRIPS) * 1000:.2f} ms (target p99 < 20 ms)")
    print(f"  server loop lag: p99 {pct(lags, 0.99):.2f} ms, max {max(lags) * 1000:.2f} ms")
    rejected_before = server.rejected
    lag.start()
    _, elapsed, _ = await loop.run_in_executor(None, out.get)
    while server.rejected - rejected_before < args.probes and server.live_sessions:
        await asyncio.sleep(0.005)
    lags = await lag.stop()
    _, _, after_errors = await loop.run_in_executor(None, out.get)
    child.join()
    print(f"{args.probes} connect-then-close probes in {elapsed:.2f} s: {server.rejected - rejected_before} "
          f"rejected, {server.live_sessions} sockets left open")
    print(f"  server loop lag: p50 {pct(lags, 0.5):.2f} ms, p99 {pct(lags, 0.99):.2f} ms, "
          f"max {max(lags) * 1000:.2f} ms; a call afterwards: {'ok' if not after_errors else 'FAILED'}")
    await server.close()


if __name__ == "__main__":
    asyncio.run(main())
