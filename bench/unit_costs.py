"""Unit costs for docs/capacity.md: CPU seconds per request, per minute of audio, per AMI event, per
fax page, and database rows/bytes (and PostgreSQL commits and rows written) per order.

    python bench/unit_costs.py [--sections http,asr,ami,fax] [--orders 300] [--gets 2000]
        [--db sqlite,pg] [--pg-url postgresql+asyncpg://zhitong:zhitong@127.0.0.1:5432/zhitong_bench_g]

http: one `zhitong serve` (one worker) on a fresh database per backend (`--pg-url` is dropped and
  created again); server CPU time (utime + stime of the process from /proc) per create, per GET and
  per lifecycle action while 8 clients create ``--orders`` orders, GET them, then walk each to
  closed (dispatch, accept, [return, redispatch], [extension], reply, check, callback: the mixed-
  load bench's walk). Then the rows and bytes every table gained, per order (tables with indexes;
  SQLite via dbstat, PostgreSQL via pg_total_relation_size), and on PostgreSQL the commits and rows
  written per request.
asr: the shared Mandarin clips downsampled to 8 kHz, decoded after the call (``transcribe_pcm``) and
  live (200 ms feeds into a stream), one thread, as fast as possible: CPU seconds per audio minute.
ami: the shared AMI captures decoded and fed to the call tracker: CPU microseconds per event.
fax: a 3-page fine-resolution fax rendered, converted (TIFF to PNG/PDF) and OCR'd with tesseract
  chi_sim: CPU seconds per page (tesseract's time is the child processes' rusage).
CPU time moves far less than wall time on a loaded machine; the figures are what sizing divides by.
Not a test: it never fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import mixed_load_bench as mlb  # noqa: E402
import mixed_traffic as mt  # noqa: E402
from load_common import (  # noqa: E402
    cpu_seconds,
    free_port,
    process_tree,
    reset_postgres,
    start_server,
    stop_server,
    wait_up,
    zhitong,
)

SHARED = Path(__file__).resolve().parents[2] / "shared"
CLIENTS = 8


async def server_cpu(pids: list[int], work) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Server CPU seconds spent while ``work()`` runs, and how many requests it made."""
    before = cpu_seconds(pids)
    count = await work()
    return cpu_seconds(pids) - before, count


async def in_parallel(items: list, each) -> int:  # type: ignore[no-untyped-def,type-arg]
    """``each(session, item)`` over ``items`` by CLIENTS clients; returns the requests made."""
    todo = iter(items)
    made = 0

    async def worker() -> None:
        nonlocal made
        async with aiohttp.ClientSession() as s:
            for item in todo:
                n = await each(s, item)  # not `made += await …`: that reads `made` before awaiting
                made += n

    await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    return made


async def http_costs(backend: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = args.pg_url if backend == "pg" else f"sqlite+aiosqlite:///{tmp}/bench.sqlite3"
        if backend == "pg":
            await reset_postgres(url)
        await asyncio.to_thread(zhitong, url, tmp, "db", "upgrade")
        await asyncio.to_thread(zhitong, url, tmp, "units", "load", "demo")
        port = free_port()
        server = start_server(url, tmp, port)
        try:
            base = f"http://127.0.0.1:{port}"
            await wait_up(base)
            world = mlb.World([base], await mlb.unit_codes(base))
            await mlb.add_users(world)
            pids = process_tree(server.pid)
            db0 = await db_usage(url)
            pg0 = await pg_counters(url)
            cpu, n = await server_cpu(pids, lambda: count_creates(world, args.orders))
            print(f"{backend}: create: {cpu / n * 1000:.2f} ms server CPU per request ({n} creates)")
            pg1 = await pg_counters(url)

            async def get(s: aiohttp.ClientSession, number: str) -> int:
                await mlb.call(world, s, base, "detail", "GET", f"/api/v1/orders/{number}", "agent0")
                return 1

            numbers = [world.numbers[i % len(world.numbers)] for i in range(args.gets)]
            cpu, n = await server_cpu(pids, lambda: in_parallel(numbers, get))
            print(f"{backend}: GET order: {cpu / n * 1000:.2f} ms server CPU per request ({n} GETs)")
            pg2 = await pg_counters(url)
            orders = [o for pool in world.pools.values() for o in pool]
            world.pools.clear()

            async def walk(s: aiohttp.ClientSession, order: mt.Tracked) -> int:
                rng, steps = random.Random(order.number), 0
                while order.status != "closed":
                    step = mt.next_step(order, rng, world.units)
                    status, _ = await mlb.call(world, s, base, "action", "POST",
                                               f"/api/v1/orders/{order.number}/{step.action}",
                                               world.user(step.role, rng, order.unit), step.body)
                    steps += 1
                    if not 200 <= status < 300:
                        break
                    mt.advance(order, step)
                return steps

            cpu, n = await server_cpu(pids, lambda: in_parallel(orders, walk))
            print(f"{backend}: lifecycle action: {cpu / n * 1000:.2f} ms server CPU per request "
                  f"({n} actions, {n / len(orders):.1f} per order)")
            pg3 = await pg_counters(url)
            if world.errors:
                print(f"{backend}: ERRORS {dict(world.errors)} {world.samples}")
            if pg0:
                for label, a, b, count in (("create", pg0, pg1, args.orders), ("GET", pg1, pg2, args.gets),
                                           ("action", pg2, pg3, n)):
                    print(f"{backend}: {label}: {(b[0] - a[0]) / count:.2f} commits (read-only ones too), "
                          f"{(b[1] - a[1]) / count:.1f} rows written per request (background work included)")
            await asyncio.sleep(1.5)  # let queued post-commit work (events, SMS) land
            report_growth(backend, db0, await db_usage(url), len(orders))
        finally:
            stop_server(server)


async def count_creates(world: mlb.World, orders: int) -> int:
    await mlb.seed(world, orders, clients=CLIENTS)
    return orders


async def db_usage(url: str) -> dict[str, tuple[int, int]]:
    """table -> (rows, bytes including its indexes and TOAST)."""
    if url.startswith("sqlite"):
        return await asyncio.to_thread(_sqlite_usage, url.split("///", 1)[1])
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            tables = (await conn.execute(text(
                "SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables"))).all()
            out = {}
            for name, size in tables:
                rows = await conn.scalar(text(f'SELECT count(*) FROM "{name}"'))
                out[name] = (int(rows or 0), int(size))
            return out
    finally:
        await engine.dispose()


def _sqlite_usage(path: str) -> dict[str, tuple[int, int]]:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        owner = dict(db.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"))
        size: dict[str, int] = {}
        for name, pages in db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            table = owner.get(name, name)
            size[table] = size.get(table, 0) + int(pages)
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: (db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0], size.get(t, 0)) for t in tables}


async def pg_counters(url: str) -> tuple[int, int] | None:
    """(committed transactions, rows inserted + updated + deleted) of this PostgreSQL database so
    far; None on SQLite. Per database, unlike the WAL position, which is the whole cluster's (other
    databases' work would be counted too). Commits include read-only transactions: an upper bound
    of the WAL flushes, which only writing transactions cause."""
    if not url.startswith("postgresql"):
        return None
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import NullPool

    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            await asyncio.sleep(0.6)  # the statistics collector publishes every 500 ms or so
            row = (await conn.execute(text(
                "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted FROM pg_stat_database "
                "WHERE datname = current_database()"))).one()
            return int(row[0]), int(row[1])
    finally:
        await engine.dispose()


def report_growth(backend: str, before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]],
                  orders: int) -> None:
    grown = {t: (rows - before.get(t, (0, 0))[0], size - before.get(t, (0, 0))[1])
             for t, (rows, size) in after.items()}
    grown = {t: g for t, g in grown.items() if g[0] or g[1]}
    total_rows, total_bytes = sum(r for r, _ in grown.values()), sum(b for _, b in grown.values())
    print(f"{backend}: per closed order: {total_rows / orders:.1f} rows, {total_bytes / orders / 1024:.1f} KiB "
          f"(tables with their indexes; {orders} orders)")
    for table, (rows, size) in sorted(grown.items(), key=lambda kv: -kv[1][1])[:8]:
        print(f"    {table:<28} {rows / orders:>6.2f} rows {size / orders / 1024:>7.2f} KiB per order")


async def asr_costs(args: argparse.Namespace) -> None:
    from callcenter.asr.audio import read_wav
    from callcenter.asr.engine import AsrEngine
    from callcenter.asr.models import find_model
    from callcenter.asr.resample import downsample_2x
    from callcenter.speech.live import FEED_BYTES

    testset = SHARED / "asr_testset"
    names = [line.split("\t")[0] for line in (testset / "transcripts.tsv").read_text(encoding="utf-8").splitlines()]
    clips = [downsample_2x(read_wav(testset / n).pcm) for n in names[: args.asr_clips]]
    minutes = sum(len(c) for c in clips) / 2 / 8000 / 60
    engine = AsrEngine.load(find_model(None), mode="thread", workers=1)
    try:
        # Outside the measurement: load the model, and let a fresh model expand its decoding graph
        # (lazily, on the first seconds it decodes: asr_bench reports that warm-up apart too).
        for pcm in clips[:3]:
            await engine.transcribe_pcm(pcm, 8000)
        cpu = time.process_time()
        for pcm in clips:
            await engine.transcribe_pcm(pcm, 8000)
        after = time.process_time() - cpu
        cpu = time.process_time()
        for pcm in clips:
            stream = engine.open_stream(8000)
            for offset in range(0, len(pcm), FEED_BYTES):
                await stream.feed(pcm[offset: offset + FEED_BYTES])
            await stream.finish()
        live = time.process_time() - cpu
    finally:
        await engine.close()
    print(f"asr: {len(clips)} clips, {minutes:.2f} min of 8 kHz audio: after the call {after / minutes:.2f} "
          f"CPU s per audio minute, live {live / minutes:.2f} CPU s per audio minute")


def ami_costs(args: argparse.Namespace) -> None:
    from datetime import UTC, datetime

    from ami_bench import build_stream

    from callcenter.ami.codec import AmiDecoder
    from callcenter.calls.tracker import CallTracker

    parts, _ = build_stream(SHARED, args.ami_copies)
    decoder, tracker, events = AmiDecoder(expect_banner=False), CallTracker(), 0
    now = datetime.now(UTC)
    cpu = time.process_time()
    for part in parts:
        for message in decoder.feed(part):
            if message.kind == "event":
                events += 1
                tracker.feed(message, received_at=now)
    cpu = time.process_time() - cpu
    print(f"ami: {events} events decoded and tracked: {cpu / events * 1e6:.1f} µs CPU per event")


async def fax_costs(args: argparse.Namespace) -> None:
    from callcenter.fax.convert import convert
    from callcenter.fax.ocr import ocr_page
    from callcenter.fax.sample import render_fax_tiff_pages

    lines = [m[i: i + 24] for m in mt.MATTERS for i in range(0, len(m), 24)]
    pages = [lines[k: k + 12] for k in range(0, 36, 12)][: args.fax_pages]
    tiff = render_fax_tiff_pages(pages, fine=True)
    cpu = time.process_time()
    doc = convert(tiff)
    converting = time.process_time() - cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    for png in doc.png_pages:
        await ocr_page(png)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    ocr = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    print(f"fax: {doc.pages} fine pages: convert {converting / doc.pages:.3f} CPU s per page, "
          f"OCR (tesseract chi_sim, one thread) {ocr / doc.pages:.2f} CPU s per page")


async def main_async(args: argparse.Namespace) -> None:
    print(f"machine: {os.cpu_count()} cores, load average " + " ".join(f"{x:.1f}" for x in os.getloadavg()),
          flush=True)
    sections = args.sections.split(",")
    if "ami" in sections:
        ami_costs(args)
    if "fax" in sections:
        await fax_costs(args)
    if "asr" in sections:
        await asr_costs(args)
    if "http" in sections:
        for backend in args.db.split(","):
            await http_costs(backend, args)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sections", default="ami,fax,asr,http")
    ap.add_argument("--db", default="sqlite,pg")
    ap.add_argument("--orders", type=int, default=300)
    ap.add_argument("--gets", type=int, default=2000)
    ap.add_argument("--pg-url", default=mlb.PG_URL)
    ap.add_argument("--asr-clips", type=int, default=20)
    ap.add_argument("--ami-copies", type=int, default=300)
    ap.add_argument("--fax-pages", type=int, default=3)
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
