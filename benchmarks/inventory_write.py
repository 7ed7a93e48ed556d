"""Contended reservations per second through the real services, beside raw baselines.

For SQLite and PostgreSQL, each scenario runs for a fixed time (3 s by default) from a closed
loop of concurrent callers and prints ops/s and p50/p99 latency beside a baseline measured in
the same run (``inventory_baselines.py``): raw ``sqlite3`` with one writer thread and group
commit, raw ``asyncpg`` with a single-statement conditional update. The baseline runs as long,
in two halves, one before and one after the service cell, so drift of the machine falls on
both. A time, not a count of calls: on a fast machine a few thousand holds take a fifth of a
second, too short a window to be read twice alike.

Scenarios (one DC of a generated network, every level topped up with plenty of stock):

- ``reserve, hot SKU``: ``reserve_inventory`` of 1 unit of one SKU, a new cart per call;
- ``reserve, N SKUs``: the same over ``--skus`` SKUs, round robin;
- ``create_order, hot SKU``: ``create_order`` of 1 unit of the hot SKU (the baseline is the
  raw reservation on the hot SKU: the floor cost of a conditional update and an insert).

After every cell the quantities are checked: the levels' ``reserved`` and ``committed`` grew
by exactly the number of successful calls, equal the active holds and the order lines, agree
with the ledger, and no level's available went below zero.

SQLite runs on a temporary file with the app's settings (WAL, ``synchronous=NORMAL``).
PostgreSQL uses ``OMNIGRAPH_BENCH_POSTGRES_URL`` if set, else starts a throw-away server with
``scripts/postgres-test-server`` and stops it at the end; that server has durability off, so
the script turns ``fsync`` and ``synchronous_commit`` back on (its data lives on tmpfs when
/dev/shm has room, where an fsync is nearly free).

    .venv/bin/python benchmarks/inventory_write.py [--quick] [--profile]
    .venv/bin/python benchmarks/inventory_write.py --no-postgres --scenarios hot  # one cell
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import cProfile
import io
import itertools
import os
import pstats
import shlex
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

import asyncpg
from inventory_baselines import AsyncpgBaseline, GroupCommitWriter, Totals
from inventory_common import (
    Sample,
    closed_loop,
    fmt_ms,
    fmt_rate,
    machine_line,
    render_table,
)
from sqlalchemy import Table, event, insert, select, text, update
from sqlalchemy.engine import make_url

from omnigraph.db.engine import Database, create_migration_engine
from omnigraph.db.models import Base, InventoryLevel, InventoryMovement
from omnigraph.db.types import utcnow
from omnigraph.demo import NetworkSpec, generate_network, load_network
from omnigraph.domain.errors import DomainError
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.orders import Address, CustomerDetails, LineRequest, OrderRequest
from omnigraph.domain.vocabulary import DeliveryMethod
from omnigraph.plugin_host import build_plugin_manager
from omnigraph.services.core import Services
from omnigraph.services.orders import create_order
from omnigraph.services.reservations import ReservationRequest, reserve_inventory
from omnigraph.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER_SCRIPT = ROOT / "scripts" / "postgres-test-server"
DC_ID = 1
TOP_UP = 10_000_000
# A fixed day keeps the generated network identical from run to run.
AS_OF = date(2025, 3, 3)
COLUMBUS = GeoPoint(39.9612, -82.9988)
ADDRESS = Address(
    name="Bench Buyer",
    line1="90 W Broad St",
    city="Columbus",
    region="OH",
    postal_code="43215",
    country="US",
    latitude=COLUMBUS.latitude,
    longitude=COLUMBUS.longitude,
)
CUSTOMER = CustomerDetails(email="bench@example.com", name="Bench Buyer")
SQLITE_TARGET_RATIO = 0.25
POSTGRES_TARGET_RATIO = 0.50
P99_TARGET_MS = 20.0
ORDERS_TARGET_RATE = 500.0
# What --scenarios may name: the hot-SKU holds, the spread holds, the hot-SKU orders.
SCENARIOS = ("hot", "many", "orders")

_LEVELS = cast(Table, InventoryLevel.__table__)
_MOVEMENTS = cast(Table, InventoryMovement.__table__)
_AVAILABLE = "on_hand - committed - reserved - safety_stock - damaged"
_LEDGER = """
SELECT coalesce(sum(m.delta), 0) FROM inventory_movements m
WHERE m.location_id = l.location_id AND m.product_id = l.product_id AND m.bucket = '{bucket}'
"""
_SERVICE_TOTALS = f"""
SELECT
  (SELECT coalesce(sum(reserved), 0) FROM inventory_levels),
  (SELECT coalesce(sum(committed), 0) FROM inventory_levels),
  (SELECT coalesce(sum(rl.quantity), 0) FROM reservation_lines rl
     JOIN reservations r ON r.id = rl.reservation_id WHERE r.status = 'ACTIVE'),
  (SELECT coalesce(sum(quantity), 0) FROM order_lines),
  (SELECT count(*) FROM inventory_levels WHERE {_AVAILABLE} < 0),
  (SELECT count(*) FROM inventory_levels l
     WHERE l.reserved != ({_LEDGER.format(bucket="RESERVED")})
        OR l.committed != ({_LEDGER.format(bucket="COMMITTED")}))
"""


@dataclass(frozen=True, slots=True)
class ServiceTotals:
    reserved: int
    committed: int
    held: int
    ordered: int
    negative_levels: int
    ledger_mismatches: int


@dataclass
class Cell:
    scenario: str
    backend: str
    service: Sample
    baseline: Sample
    target_ratio: float | None = None
    target_rate: float | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return self.service.rate / self.baseline.rate if self.baseline.rate else 0.0

    @property
    def target(self) -> str:
        if self.target_ratio is not None:
            return f">= {self.target_ratio:.0%} of baseline, p99 < {P99_TARGET_MS:.0f} ms"
        if self.target_rate is not None:
            return f">= {self.target_rate:.0f}/s (HTTP target)"
        return "-"

    @property
    def met(self) -> str:
        if self.target_ratio is not None:
            ok = (
                self.ratio >= self.target_ratio and self.service.percentile_ms(0.99) < P99_TARGET_MS
            )
        elif self.target_rate is not None:
            ok = self.service.rate >= self.target_rate
        else:
            return "-"
        return "yes" if ok else "NO"


@dataclass(frozen=True, slots=True)
class Plan:
    ops: int  # at most, per measured phase
    seconds: float  # each service phase; each baseline half takes half as long
    warmup: int
    skus: int
    sqlite_concurrency: int
    postgres_concurrency: int
    postgres_connections: int
    scenarios: frozenset[str] = frozenset(SCENARIOS)


# -- set-up ---------------------------------------------------------------------------------


def network_spec(skus: int) -> NetworkSpec:
    return NetworkSpec(distribution_centres=1, stores=0, dark_stores=0, skus=skus, as_of=AS_OF)


async def prepare_database(url: str, skus: int) -> list[tuple[int, str]]:
    """Schema, a one-DC network of ``skus`` SKUs, and ``TOP_UP`` more units of each on hand
    (with its ledger movement); returns (product id, SKU) of every SKU, in id order."""
    engine = create_migration_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    await engine.dispose()
    network = generate_network(network_spec(skus))
    db = Database.from_url(url)
    try:
        await load_network(db, network)
        async with db.engine.begin() as connection:
            levels = (
                await connection.execute(
                    select(_LEVELS.c.product_id).where(_LEVELS.c.location_id == DC_ID)
                )
            ).all()
            now = utcnow()
            await connection.execute(
                insert(_MOVEMENTS),
                [
                    {
                        "location_id": DC_ID,
                        "product_id": row.product_id,
                        "bucket": "ON_HAND",
                        "delta": TOP_UP,
                        "reason": "RECEIPT",
                        "actor": "benchmark",
                        "source": "benchmark",
                        "created_at": now,
                    }
                    for row in levels
                ],
            )
            await connection.execute(
                update(_LEVELS)
                .where(_LEVELS.c.location_id == DC_ID)
                .values(on_hand=_LEVELS.c.on_hand + TOP_UP)
            )
    finally:
        await db.dispose()
    stocked = {row.product_id for row in levels}
    return [(p.id, p.sku) for p in network.products if p.id in stocked]


def open_services(url: str) -> Services:
    """The core as the app and tests/conftest.py build it: settings, database, plugins."""
    settings = Settings(database_url=url)
    return Services(
        settings=settings, db=Database.from_url(url), plugins=build_plugin_manager(settings)
    )


async def service_totals(services: Services) -> ServiceTotals:
    async with services.db.engine.connect() as connection:
        row = (await connection.execute(text(_SERVICE_TOTALS))).one()
    return ServiceTotals(*(int(value) for value in row))


def service_problems(
    before: ServiceTotals, after: ServiceTotals, held: int, ordered: int
) -> list[str]:
    found = []
    if after.reserved - before.reserved != held:
        found.append(f"reserved grew by {after.reserved - before.reserved}, not {held}")
    if after.committed - before.committed != ordered:
        found.append(f"committed grew by {after.committed - before.committed}, not {ordered}")
    if after.held != after.reserved:
        found.append(f"active holds sum to {after.held}, levels reserve {after.reserved}")
    if after.ordered != after.committed:
        found.append(f"order lines sum to {after.ordered}, levels commit {after.committed}")
    if after.negative_levels:
        found.append(f"{after.negative_levels} levels below zero available")
    if after.ledger_mismatches:
        found.append(f"{after.ledger_mismatches} levels disagree with the ledger")
    return found


# -- operations -----------------------------------------------------------------------------

Operation = Callable[[int], Awaitable[bool]]


def reserve_operation(services: Services, skus: list[str], run: str) -> Operation:
    # Its own numbering: a warm-up and a measured loop must never share a cart (the second
    # call would extend the first hold instead of making one).
    numbers = itertools.count()

    async def reserve(_seq: int) -> bool:
        seq = next(numbers)
        request = ReservationRequest(
            cart_id=f"{run}-{seq}",
            lines=[LineRequest(skus[seq % len(skus)], 1)],
            destination=COLUMBUS,
            method=DeliveryMethod.SHIP_STANDARD,
        )
        try:
            await reserve_inventory(services, request)
        except DomainError:
            return False
        return True

    return reserve


def order_operation(services: Services, sku: str) -> Operation:
    async def order(_seq: int) -> bool:
        request = OrderRequest(
            channel="WEB",
            method=DeliveryMethod.SHIP_STANDARD,
            lines=[LineRequest(sku, 1)],
            customer=CUSTOMER,
            shipping_address=ADDRESS,
        )
        try:
            await create_order(services, request)
        except DomainError:
            return False
        return True

    return order


def baseline_operation(reserve: Callable[[int, int], Awaitable[bool]], ids: list[int]) -> Operation:
    async def operation(seq: int) -> bool:
        return await reserve(ids[seq % len(ids)], 1)

    return operation


def merge(first: Sample, second: Sample) -> Sample:
    return Sample(
        first.latencies + second.latencies,
        first.wall + second.wall,
        first.failures + second.failures,
    )


async def measure_cell(
    scenario: str,
    backend: str,
    plan: Plan,
    concurrency: int,
    service_op: Operation,
    baseline_op: Operation,
    services: Services,
    baseline_totals: Callable[[], Awaitable[Totals]],
    *,
    orders: bool = False,
) -> Cell:
    """Warm both up, then baseline half, service, baseline half; check the totals after."""
    service_before = await service_totals(services)
    base_before = await baseline_totals()
    warm_service = await closed_loop(service_op, plan.warmup, concurrency)
    warm_base = await closed_loop(baseline_op, plan.warmup, concurrency)
    first = await closed_loop(baseline_op, plan.ops // 2, concurrency, plan.seconds / 2)
    service = await closed_loop(service_op, plan.ops, concurrency, plan.seconds)
    second = await closed_loop(baseline_op, plan.ops - plan.ops // 2, concurrency, plan.seconds / 2)
    baseline = merge(first, second)
    succeeded = plan.warmup + service.ops - warm_service.failures - service.failures
    problems = service_problems(
        service_before,
        await service_totals(services),
        0 if orders else succeeded,
        succeeded if orders else 0,
    )
    base_ok = plan.warmup + baseline.ops - warm_base.failures - baseline.failures
    problems += [f"baseline: {p}" for p in (await baseline_totals()).problems(base_before, base_ok)]
    if service.failures or baseline.failures:
        problems.append(f"{service.failures} service and {baseline.failures} baseline calls failed")
    cell = Cell(scenario, backend, service, baseline, problems=problems)
    print(
        f"  {backend:10} {scenario:24} {fmt_rate(service.rate):>7}/s"
        f" (baseline {fmt_rate(baseline.rate)}/s)  {problems or 'ok'}",
        flush=True,
    )
    return cell


async def run_scenarios(
    backend: str,
    plan: Plan,
    concurrency: int,
    services: Services,
    products: list[tuple[int, str]],
    baseline_reserve: Callable[[int, int], Awaitable[bool]],
    baseline_totals: Callable[[], Awaitable[Totals]],
    target_ratio: float,
) -> list[Cell]:
    ids = [pid for pid, _ in products]
    skus = [sku for _, sku in products]
    hot_id, hot_sku = products[0]
    run = uuid.uuid4().hex[:8]
    cells: list[Cell] = []
    if "hot" in plan.scenarios:
        hot = await measure_cell(
            "reserve, hot SKU",
            backend,
            plan,
            concurrency,
            reserve_operation(services, [hot_sku], f"{run}-hot"),
            baseline_operation(baseline_reserve, [hot_id]),
            services,
            baseline_totals,
        )
        hot.target_ratio = target_ratio
        cells.append(hot)
    if "many" in plan.scenarios:
        cells.append(
            await measure_cell(
                f"reserve, {len(skus):,} SKUs",
                backend,
                plan,
                concurrency,
                reserve_operation(services, skus, f"{run}-many"),
                baseline_operation(baseline_reserve, ids),
                services,
                baseline_totals,
            )
        )
    if "orders" in plan.scenarios:
        orders = await measure_cell(
            "create_order, hot SKU",
            backend,
            plan,
            concurrency,
            order_operation(services, hot_sku),
            baseline_operation(baseline_reserve, [hot_id]),
            services,
            baseline_totals,
            orders=True,
        )
        if backend == "SQLite":
            orders.target_rate = ORDERS_TARGET_RATE
        cells.append(orders)
    return cells


# -- SQLite ---------------------------------------------------------------------------------


async def sqlite_cells(plan: Plan, workdir: Path) -> list[Cell]:
    url = f"sqlite+aiosqlite:///{workdir / 'omnigraph.db'}"
    products = await prepare_database(url, plan.skus)
    raw_path = workdir / "raw.db"
    GroupCommitWriter.create(raw_path, [pid for pid, _ in products], TOP_UP)
    writer = GroupCommitWriter(raw_path)
    writer.start()
    services = open_services(url)

    async def totals() -> Totals:
        return writer.totals()

    try:
        cells = await run_scenarios(
            "SQLite",
            plan,
            plan.sqlite_concurrency,
            services,
            products,
            writer.reserve,
            totals,
            SQLITE_TARGET_RATIO,
        )
    finally:
        writer.stop()
        await services.db.dispose()
    print(
        f"  group commit: {writer.requests:,} requests in {writer.batches:,} commits"
        f" ({writer.requests / max(1, writer.batches):.1f} per commit)"
    )
    return cells


# -- PostgreSQL -----------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_server() -> Iterator[tuple[str, bool] | None]:
    """(SQLAlchemy URL of a maintenance database, whether we started the server), or None."""
    given = os.environ.get("OMNIGRAPH_BENCH_POSTGRES_URL")
    if given:
        yield given, False
        return
    started = subprocess.run(
        [str(PG_SERVER_SCRIPT), "start"], capture_output=True, text=True, check=False
    )
    if started.returncode != 0:
        tail = "\n    ".join(started.stderr.strip().splitlines()[-5:])
        print(f"note: PostgreSQL skipped, no server could be started:\n    {tail}")
        yield None
        return
    exports = dict(
        shlex.split(line.removeprefix("export "))[0].split("=", 1)
        for line in started.stdout.splitlines()
        if line.startswith("export ")
    )
    try:
        yield exports["OMNIGRAPH_TEST_POSTGRES_URL"], True
    finally:
        subprocess.run(
            [str(PG_SERVER_SCRIPT), "stop", exports["OMNIGRAPH_TEST_POSTGRES_DIR"]],
            capture_output=True,
            check=False,
        )


def asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def postgres_settings(admin: asyncpg.Connection, ours: bool) -> str:
    if ours:
        # Our throw-away server: commits durable again, like the measurements.
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            await admin.execute(f"ALTER SYSTEM SET {setting} = on")
        await admin.execute("SELECT pg_reload_conf()")
        await asyncio.sleep(0.5)
    values = [
        f"{name}={await admin.fetchval(f'SHOW {name}')}"
        for name in ("server_version", "fsync", "synchronous_commit", "data_directory")
    ]
    return "PostgreSQL " + ", ".join(values)


@contextlib.asynccontextmanager
async def postgres_database(url: str) -> AsyncIterator[tuple[str, str]]:
    """A fresh database on the server of ``url``: (SQLAlchemy URL, asyncpg DSN); dropped after."""
    name = f"omnigraph_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield (
            make_url(url).set(database=name).render_as_string(hide_password=False),
            asyncpg_dsn(url, name),
        )
    finally:
        admin = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def postgres_cells(plan: Plan, url: str, ours: bool) -> list[Cell]:
    admin = await asyncpg.connect(asyncpg_dsn(url))
    try:
        print(f"  {await postgres_settings(admin, ours)}")
    finally:
        await admin.close()
    async with postgres_database(url) as (bench_url, dsn):
        products = await prepare_database(bench_url, plan.skus)
        await AsyncpgBaseline.create(dsn, [pid for pid, _ in products], TOP_UP)
        baseline = await AsyncpgBaseline.open(dsn, plan.postgres_connections)
        services = open_services(bench_url)
        try:
            return await run_scenarios(
                "PostgreSQL",
                plan,
                plan.postgres_concurrency,
                services,
                products,
                baseline.reserve,
                baseline.totals,
                POSTGRES_TARGET_RATIO,
            )
        finally:
            await baseline.close()
            if services.hold_batcher is not None:  # a statistics refresh may be under way
                await services.hold_batcher.analysis_done()
            await services.db.dispose()


# -- profile --------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one backend's engine did during a profiled loop."""

    statements: collections.Counter[str] = field(default_factory=collections.Counter)
    in_driver: float = 0.0
    checkouts: int = 0


def watch(services: Services) -> Tally:
    """Count statements and pool checkouts and time the driver's execute calls (the SQL
    round trip as SQLAlchemy sees it, through aiosqlite's thread or asyncpg's socket)."""
    tally = Tally()
    engine = services.db.engine.sync_engine
    started: list[float] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        tally.statements[" ".join(statement.split()[:3])] += 1
        started.append(time.perf_counter())

    def after(*_: Any) -> None:
        tally.in_driver += time.perf_counter() - started.pop()

    def checkout(*_: Any) -> None:
        tally.checkouts += 1

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine.pool, "checkout", checkout)
    return tally


_PACKAGES = (
    ("omnigraph", "/omnigraph/"),
    ("sqlalchemy", "/sqlalchemy/"),
    ("asyncpg", "asyncpg"),
    ("aiosqlite", "/aiosqlite/"),
    ("asyncio event loop", "/asyncio/"),
    ("selectors (waiting)", "selectors.py"),
    ("greenlet switches", "greenlet"),
)


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own time of the profiled thread by where the function lives."""
    totals: dict[str, float] = collections.defaultdict(float)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        where = f"{filename}:{name}"
        if "poll" in name and "epoll" in where:
            label = "epoll wait (idle: I/O or the aiosqlite thread)"
        else:
            label = next((lab for lab, key in _PACKAGES if key in where), "other")
        totals[label] += tottime
    return sorted(totals.items(), key=lambda item: -item[1])


async def profile_reserve(backend: str, url: str, ops: int) -> str:
    """One caller reserving the hot SKU ``ops`` times, watched and under cProfile."""
    products = await prepare_database(url, 10)
    services = open_services(url)
    try:
        operation = reserve_operation(services, [products[0][1]], "profile")
        await closed_loop(operation, 100, 1)
        tally = watch(services)
        plain = await closed_loop(operation, ops, 1)
        cpu = time.process_time()
        profiler = cProfile.Profile()
        profiler.enable()
        await closed_loop(operation, ops, 1)
        profiler.disable()
        cpu = time.process_time() - cpu
    finally:
        await services.db.dispose()
    mean_ms = sum(plain.latencies) / plain.ops * 1000
    n = 2 * ops  # the tally saw both loops
    lines = [
        f"{backend}: one caller, hot SKU: {fmt_rate(plain.rate)}/s, mean {mean_ms:.2f} ms per"
        f" reservation; {sum(tally.statements.values()) / n:.1f} statements and"
        f" {tally.checkouts / n:.1f} pool checkouts per reservation; driver execute calls"
        f" {tally.in_driver / n * 1000:.2f} ms of it",
        "  statements per reservation: "
        + "; ".join(f"{count / n:g} x {kind}" for kind, count in tally.statements.most_common()),
        f"  under cProfile: {cpu / ops * 1000:.2f} ms CPU per reservation (all threads);"
        " own time of the event-loop thread by package:",
    ]
    stats = pstats.Stats(profiler)
    total = sum(seconds for _, seconds in by_package(stats))
    lines += [
        f"    {seconds / ops * 1000:6.2f} ms  {seconds / total:4.0%}  {label}"
        for label, seconds in by_package(stats)
    ]
    sink = io.StringIO()
    stats.stream = sink  # type: ignore[attr-defined]
    stats.sort_stats("tottime").print_stats(15)
    body = sink.getvalue()
    lines.append("  top 15 functions by own time:")
    lines += [f"    {line}" for line in body[body.index("ncalls") :].rstrip().splitlines()]
    return "\n".join(lines)


# -- main -----------------------------------------------------------------------------------


def table(cells: list[Cell]) -> str:
    headers = [
        "scenario",
        "backend",
        "ops/s",
        "p50 ms",
        "p99 ms",
        "baseline ops/s",
        "baseline p99 ms",
        "ratio",
        "target",
        "met?",
        "quantities",
    ]
    rows = [
        [
            c.scenario,
            c.backend,
            fmt_rate(c.service.rate),
            fmt_ms(c.service.percentile_ms(0.5)),
            fmt_ms(c.service.percentile_ms(0.99)),
            fmt_rate(c.baseline.rate),
            fmt_ms(c.baseline.percentile_ms(0.99)),
            f"{c.ratio:.1%}",
            c.target,
            c.met,
            "add up" if not c.problems else "WRONG",
        ]
        for c in cells
    ]
    return render_table(headers, rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Contended reservations/s and create_order/s through the services, on "
        "SQLite and PostgreSQL, beside raw sqlite3 group-commit and asyncpg baselines.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="0.5 s of service calls per cell instead of 3 s"
    )
    parser.add_argument(
        "--seconds",
        type=float,
        help="service calls per cell for this long (default 3; the baseline as long, in two"
        " halves around them)",
    )
    parser.add_argument(
        "--ops",
        type=int,
        default=1_000_000,
        help="at most this many calls per cell, service and baseline each (default 1,000,000)",
    )
    parser.add_argument("--skus", type=int, default=1_000, help="SKUs of the spread scenario")
    parser.add_argument("--sqlite-concurrency", type=int, default=32, help="callers on SQLite")
    parser.add_argument("--postgres-concurrency", type=int, default=16, help="callers on PG")
    parser.add_argument(
        "--postgres-connections", type=int, default=16, help="the asyncpg baseline's pool size"
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated cells to run, of {', '.join(SCENARIOS)} (default all)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also profile one caller reserving the hot SKU: statements, checkouts, driver"
        " time, and a cProfile sample by package",
    )
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> int:
    seconds = args.seconds or (0.5 if args.quick else 3.0)
    scenarios = frozenset(name.strip() for name in args.scenarios.split(",") if name.strip())
    if not scenarios or scenarios - set(SCENARIOS):
        print(f"--scenarios takes a comma-separated subset of {', '.join(SCENARIOS)}")
        return 2
    plan = Plan(
        ops=args.ops,
        seconds=seconds,
        warmup=50 if args.quick else 200,
        skus=args.skus,
        sqlite_concurrency=args.sqlite_concurrency,
        postgres_concurrency=args.postgres_concurrency,
        postgres_connections=args.postgres_connections,
        scenarios=scenarios,
    )
    print(machine_line())
    print(
        f"{plan.seconds:g} s of service calls per cell and as long of the baseline, in two"
        f" halves around them, each at most {plan.ops:,} calls (+{plan.warmup} warm-up);"
        f" concurrency {plan.sqlite_concurrency} on SQLite,"
        f" {plan.postgres_concurrency} on PostgreSQL (asyncpg baseline pool"
        f" {plan.postgres_connections}); SQLite WAL, synchronous=NORMAL",
        flush=True,
    )
    started = time.perf_counter()
    cells: list[Cell] = []
    profiles: list[str] = []
    profile_ops = 100 if args.quick else 300
    with tempfile.TemporaryDirectory(prefix="omnigraph-bench-") as tmp:
        if not args.no_sqlite:
            cells += await sqlite_cells(plan, Path(tmp))
        if args.profile and not args.no_sqlite:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'profile.db'}"
            profiles.append(await profile_reserve("SQLite", url, profile_ops))
        if not args.no_postgres:
            with postgres_server() as server:
                if server is not None:
                    cells += await postgres_cells(plan, *server)
                    if args.profile:
                        async with postgres_database(server[0]) as (url, _dsn):
                            profiles.append(await profile_reserve("PostgreSQL", url, profile_ops))
    print()
    if cells:
        print(table(cells))
    for cell in cells:
        for problem in cell.problems:
            print(f"  {cell.backend} {cell.scenario}: {problem}")
    for profile in profiles:
        print()
        print(profile)
    print(f"\n{machine_line()}; took {time.perf_counter() - started:.0f} s")
    return 1 if any(c.problems for c in cells) else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
