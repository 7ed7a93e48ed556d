"""Availability query latency on a generated network, beside one raw sqlite3 SELECT.

Loads a demo network (500 locations x 10,000 SKUs; ``--quick``: 50 x 1,000) into SQLite
once and keeps the file under ``benchmarks/.cache/`` for the next run (``*.db`` is ignored
by git; delete the file to rebuild). Then, for 1, 3 and 10 SKUs, without and with
``near`` + ``radiusKm``, it times ``omnigraph.services.availability.availability`` and the
same question answered by one raw ``sqlite3`` SELECT of every level of the SKUs with its
location's coordinates, summed and sorted in plain Python. The two alternate call by call,
one caller, so drift falls on both. Every answer pair is compared (network and nearby
units per SKU, and the ids of the locations listed), so the baseline answers exactly the
same question.

    .venv/bin/python benchmarks/inventory_availability.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from inventory_common import Sample, fmt_ms, machine_line, render_table

from omnigraph.db.engine import Database, create_migration_engine
from omnigraph.db.models import Base
from omnigraph.demo import NetworkSpec, generate_network, load_network
from omnigraph.domain.geo import GeoPoint
from omnigraph.plugin_host import build_plugin_manager
from omnigraph.services.availability import availability
from omnigraph.services.core import Services
from omnigraph.settings import Settings

CACHE = Path(__file__).resolve().parent / ".cache"
AS_OF = date(2025, 3, 3)
FULL = NetworkSpec(distribution_centres=4, stores=476, dark_stores=20, skus=10_000, as_of=AS_OF)
QUICK = NetworkSpec(distribution_centres=2, stores=48, dark_stores=0, skus=1_000, as_of=AS_OF)
RADIUS_KM = 50.0
LOCATIONS_LIMIT = 20
SKU_COUNTS = (1, 3, 10)
EARTH_RADIUS_KM = 6371.0088

_SELECT = """
SELECT p.sku, l.location_id, loc.latitude, loc.longitude,
       l.on_hand - l.committed - l.reserved - l.safety_stock - l.damaged
FROM products p
JOIN inventory_levels l ON l.product_id = p.id
JOIN locations loc ON loc.id = l.location_id
WHERE p.sku IN ({marks})
"""


@dataclass(frozen=True, slots=True)
class Answer:
    """What both sides must agree on, per SKU."""

    network: int
    nearby: int
    location_ids: tuple[int, ...]


# -- the network ----------------------------------------------------------------------------


def cache_path(spec: NetworkSpec) -> Path:
    name = (
        f"inventory_availability-{spec.distribution_centres}dc-{spec.stores}st-"
        f"{spec.dark_stores}ds-{spec.skus}sku-seed{spec.seed}-{spec.as_of.isoformat()}.db"
    )
    return CACHE / name


async def build(spec: NetworkSpec, path: Path) -> None:
    """Generate and load the network into a new file, renamed into place only when done."""
    CACHE.mkdir(exist_ok=True)
    partial = path.with_suffix(".partial.db")
    partial.unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{partial}"
    engine = create_migration_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    await engine.dispose()
    started = time.perf_counter()
    network = generate_network(spec)
    db = Database.from_url(url)
    try:
        summary = await load_network(db, network)
    finally:
        await db.dispose()
    raw = sqlite3.connect(partial)
    try:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        raw.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    partial.rename(path)
    print(
        f"  built {path.name}: {summary.locations} locations, {summary.products:,} SKUs,"
        f" {summary.inventory_levels:,} levels in {time.perf_counter() - started:.0f} s"
    )


# -- the two sides --------------------------------------------------------------------------


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def raw_availability(
    connection: sqlite3.Connection, skus: list[str], near: GeoPoint | None
) -> dict[str, Answer]:
    """One SELECT, then per SKU: units in the network, and the listed locations."""
    rows = connection.execute(_SELECT.format(marks=",".join("?" * len(skus))), skus).fetchall()
    per_sku: dict[str, list[tuple[float, int, int]]] = {sku: [] for sku in skus}
    network = dict.fromkeys(skus, 0)
    origin = (near.latitude, near.longitude) if near is not None else None
    for sku, location_id, latitude, longitude, available in rows:
        if available <= 0:
            continue
        network[sku] += available
        if origin is None:
            per_sku[sku].append((-available, location_id, available))
            continue
        distance = haversine_km(origin, (latitude, longitude))
        if distance <= RADIUS_KM:
            per_sku[sku].append((distance, location_id, available))
    answers = {}
    for sku, entries in per_sku.items():
        entries.sort()
        answers[sku] = Answer(
            network[sku],
            sum(entry[2] for entry in entries),
            tuple(entry[1] for entry in entries[:LOCATIONS_LIMIT]),
        )
    return answers


async def service_availability(
    services: Services, skus: list[str], near: GeoPoint | None
) -> dict[str, Answer]:
    found = await availability(
        services,
        skus,
        near=near,
        radius_km=RADIUS_KM if near is not None else None,
        locations_limit=LOCATIONS_LIMIT,
    )
    return {
        item.sku: Answer(
            item.network_available,
            item.nearby_available,
            tuple(entry.location.id for entry in item.locations),
        )
        for item in found
    }


# -- measuring ------------------------------------------------------------------------------


@dataclass
class Cell:
    skus: int
    near: bool
    service: Sample
    baseline: Sample
    rows: int = 0
    mismatches: int = 0


async def measure(
    services: Services,
    connection: sqlite3.Connection,
    catalogue: list[str],
    points: list[GeoPoint],
    count: int,
    near: bool,
    queries: int,
    rng: random.Random,
) -> Cell:
    cell = Cell(count, near, Sample(), Sample())
    for index in range(queries):
        skus = rng.sample(catalogue, count)
        point = points[index % len(points)] if near else None
        # Alternate which side goes first, so neither always meets a warm page cache.
        order = (True, False) if index % 2 == 0 else (False, True)
        answers: dict[bool, dict[str, Answer]] = {}
        for is_service in order:
            started = time.perf_counter()
            if is_service:
                answers[True] = await service_availability(services, skus, point)
                cell.service.latencies.append(time.perf_counter() - started)
            else:
                answers[False] = raw_availability(connection, skus, point)
                cell.baseline.latencies.append(time.perf_counter() - started)
        if answers[True] != answers[False]:
            cell.mismatches += 1
        cell.rows += sum(len(a.location_ids) for a in answers[False].values())
    return cell


def table(cells: list[Cell]) -> str:
    headers = [
        "SKUs",
        "near + radiusKm",
        "service p50 ms",
        "service p99 ms",
        "baseline p50 ms",
        "baseline p99 ms",
        "p50 ratio",
        "listed locations/query",
        "answers agree",
    ]
    rows = [
        [
            str(c.skus),
            f"yes ({RADIUS_KM:.0f} km)" if c.near else "no",
            fmt_ms(c.service.percentile_ms(0.5)),
            fmt_ms(c.service.percentile_ms(0.99)),
            fmt_ms(c.baseline.percentile_ms(0.5)),
            fmt_ms(c.baseline.percentile_ms(0.99)),
            f"{c.service.percentile_ms(0.5) / c.baseline.percentile_ms(0.5):.1f}x",
            f"{c.rows / max(1, c.service.ops):.1f}",
            "yes" if c.mismatches == 0 else f"NO ({c.mismatches})",
        ]
        for c in cells
    ]
    return render_table(headers, rows)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="availability() latency p50/p99 on a generated network (cached under "
        "benchmarks/.cache/), beside one raw sqlite3 SELECT answering the same question.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="50 locations x 1,000 SKUs and 60 queries per cell"
    )
    parser.add_argument("--queries", type=int, help="queries per cell (default 300)")
    parser.add_argument("--seed", type=int, default=11, help="seed of the SKU and point choice")
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> int:
    spec = QUICK if args.quick else FULL
    queries = args.queries or (60 if args.quick else 300)
    print(machine_line())
    path = cache_path(spec)
    if path.exists():
        print(f"  using cached {path.relative_to(CACHE.parent.parent)}")
    else:
        print(f"  building {path.name} (once; kept for the next run)", flush=True)
        await build(spec, path)
    network = generate_network(spec)
    catalogue = [product.sku for product in network.products]
    rng = random.Random(args.seed)
    stores = [row for row in network.locations if row.type != "DC"] or list(network.locations)
    points = [
        GeoPoint(row.latitude, row.longitude) for row in rng.sample(stores, min(50, len(stores)))
    ]
    url = f"sqlite+aiosqlite:///{path}"
    settings = Settings(database_url=url)
    services = Services(
        settings=settings, db=Database.from_url(url), plugins=build_plugin_manager(settings)
    )
    connection = sqlite3.connect(path)
    print(
        f"  {len(network.locations)} locations x {len(catalogue):,} SKUs,"
        f" {len(network.levels):,} levels; {queries} queries per cell, one caller,"
        f" locationsLimit {LOCATIONS_LIMIT}",
        flush=True,
    )
    started = time.perf_counter()
    try:
        await measure(services, connection, catalogue, points, 3, True, 20, rng)  # warm-up
        cells = []
        for near in (False, True):
            for count in SKU_COUNTS:
                cell = await measure(
                    services, connection, catalogue, points, count, near, queries, rng
                )
                cells.append(cell)
                print(
                    f"  {count:>2} SKUs near={near!s:5}: service p50"
                    f" {fmt_ms(cell.service.percentile_ms(0.5))} ms, baseline"
                    f" {fmt_ms(cell.baseline.percentile_ms(0.5))} ms",
                    flush=True,
                )
    finally:
        connection.close()
        await services.db.dispose()
    print()
    print(table(cells))
    print(f"\n{machine_line()}; measuring took {time.perf_counter() - started:.0f} s")
    return 1 if any(c.mismatches for c in cells) else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
