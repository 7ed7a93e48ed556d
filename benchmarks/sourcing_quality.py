"""Sourcing quality: the engine's cost and splits against the exact optimum and a naive plan.

On generated networks (100 and 500 locations, ``omnigraph.demo``'s generator, fixed seed,
stock uneven the way the demo makes it, and half of the DCs' levels emptied so that some
carts need a split; see ``DC_OUT_OF_STOCK``) it draws orders for ground shipping (carts of 1-5
lines, destinations around real US cities, weighted by metro population) and, for each:

1. times ``decide`` (the engine) with a cost set-up that makes choices matter: the
   ``us_ground_and_express`` rate table, pick labour per line and per unit (the location's
   ``pick_cost_minor`` per line, a tenth of it per unit), a split penalty, at most 3 packages;
2. solves the same cost model exactly as a mixed-integer programme with HiGHS
   (``sourcing_milp.py`` documents the formulation), over every candidate the engine's rules
   find eligible when it screens them all (``nearest_usable=None``; the timed decision
   screens only its shortlist, so the gap includes what the shortlist gives away), with the
   same usable stock;
3. plans the two naive ways the issue's "nearest-location-with-stock baseline" can be read,
   over the same eligible candidates, and prices each plan with the same cost function:
   - *naive, whole cart*: ``promise.plan_fulfilment``, the nearest location holding the
     whole cart, else a nearest-first split (what the product did before the engine);
   - *naive, per line*: each line from the nearest location holding all of it (a line no
     location holds in full is taken nearest first), one package per location used.
   Neither knows the package limit, so either may use more than 3.

Every plan is repriced by ``sourcing_milp.plan_cost``, which shares no code with the engine's
pricer; the engine's own total must agree with it and the solver's objective too. Candidates
are the locations holding some of the cart, as the services pass them.

Latency is ``decide`` alone, timed twice per call: CPU time (``time.process_time``, what the
decision costs, steady on a shared machine) and wall time (``time.perf_counter``, what a
caller waits). ``plan_fulfilment`` is timed the same way in the same loop as the baseline.
The garbage collector runs as it does in the server (``omnigraph.collector``): once each
network is built, what is alive is frozen out of the collector's reach and the young
generation's threshold is raised to the server's default (``OMNIGRAPH_GC_YOUNG_THRESHOLD``).
``--python-gc`` leaves Python's own collector settings instead. A ``gc.callbacks`` hook
measures the time collection passes take inside each timed decision, so the tables show CPU
and wall time with and without those pauses side by side (the reported figures include
them).

    .venv/bin/python benchmarks/sourcing_quality.py [--quick] [--orders N] [--sizes 100,500]

Needs HiGHS: ``pip install -e '.[bench]'``. The product never imports it.
``sourcing_milp.py`` holds the programme and the independent cost function,
``sourcing_report.py`` the tallies and tables.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from inventory_common import machine_line
from sourcing_report import Tally, report

from omnigraph.collector import ServerCollector
from omnigraph.demo import NetworkSpec, generate_network
from omnigraph.demo.cities import CITIES, City, suburb
from omnigraph.domain.calendar import LocationSchedule
from omnigraph.domain.geo import GeoPoint, distance_km
from omnigraph.domain.money import Money
from omnigraph.domain.promise import CARRIER_SERVICE, Candidate, FulfilmentPlan, plan_fulfilment
from omnigraph.domain.rating import RateTable, us_ground_and_express
from omnigraph.domain.sourcing import (
    MethodPolicy,
    NoPlan,
    PickLabour,
    SourcingCandidate,
    SourcingDecision,
    SourcingRequest,
    SourcingRules,
    decide,
)
from omnigraph.domain.vocabulary import Capability, DeliveryMethod, LocationType
from omnigraph.settings import Settings

if TYPE_CHECKING:
    from sourcing_milp import CostModel, Optimum, Source

Package = tuple[int, Mapping[str, int]]  # location id, quantities (as ``sourcing_milp``)

AS_OF = date(2024, 5, 8)
# Wednesday 8 May 2024, 14:00 UTC: a working morning in every US time zone.
NOW = datetime(2024, 5, 8, 14, 0, tzinfo=UTC)
METHOD = DeliveryMethod.SHIP_STANDARD
CURRENCY = "USD"
SPLIT_PENALTY_MINOR = 250
MAX_PACKAGES = 3
SKUS = 400
SEED = 7
# The sizes the issue names; the mix of location types is the demo's (see demo/network.py).
NETWORKS: Mapping[int, NetworkSpec] = {
    100: NetworkSpec(distribution_centres=4, stores=90, dark_stores=6, skus=SKUS, seed=SEED),
    500: NetworkSpec(distribution_centres=4, stores=476, dark_stores=20, skus=SKUS, seed=SEED),
}
# Real carts: most lines are one unit, a few are several.
QUANTITIES = (1, 2, 3, 4, 6)
QUANTITY_WEIGHTS = (70, 18, 7, 3, 2)
# The demo's DCs hold nearly every SKU deeply, so nearly every cart would fit one DC and no
# split would ever be needed. Here each DC level is out of stock with this probability (a
# mid-season picture: DCs waiting on purchase orders), so splits are needed for some carts.
DC_OUT_OF_STOCK = 0.5


@dataclass(frozen=True, slots=True)
class Site:
    """A location without stock: what every candidate for it shares."""

    location_id: int
    code: str
    location_type: LocationType
    point: GeoPoint
    capabilities: frozenset[Capability]
    schedule: LocationSchedule
    labour: PickLabour
    daily_capacity: int


@dataclass(frozen=True, slots=True)
class Network:
    size: int
    sites: tuple[Site, ...]
    weights_grams: Mapping[str, int]
    holders: Mapping[str, tuple[tuple[int, int], ...]]  # sku -> (site index, sellable units)


@dataclass(frozen=True, slots=True)
class Order:
    destination: GeoPoint
    lines: Mapping[str, int]


def build_network(size: int) -> Network:
    spec = NETWORKS[size]
    demo = generate_network(
        NetworkSpec(
            distribution_centres=spec.distribution_centres,
            stores=spec.stores,
            dark_stores=spec.dark_stores,
            skus=spec.skus,
            seed=spec.seed,
            as_of=AS_OF,
        )
    )
    sites = tuple(
        Site(
            row.id,
            row.code,
            LocationType(row.type),
            GeoPoint(row.latitude, row.longitude),
            frozenset(Capability(c) for c in row.capabilities),
            LocationSchedule.from_config(
                timezone=row.timezone,
                opening_hours=row.opening_hours,
                holidays=row.holidays,
                cutoff=row.cutoff_time,
                processing_minutes=row.processing_minutes,
            ),
            # A store's cost is mostly the walk to each shelf, a DC's the handling.
            PickLabour(
                Money(row.pick_cost_minor, CURRENCY), Money(row.pick_cost_minor // 10, CURRENCY)
            ),
            row.daily_capacity,
        )
        for row in demo.locations
    )
    index_of = {site.location_id: index for index, site in enumerate(sites)}
    sku_of = {product.id: product.sku for product in demo.products}
    holders: dict[str, list[tuple[int, int]]] = {}
    outs = random.Random(f"sourcing-quality/{spec.seed}/dc-outs")
    dcs = {site.location_id for site in sites if site.location_type is LocationType.DC}
    for level in demo.levels:
        if level.location_id in dcs and outs.random() < DC_OUT_OF_STOCK:
            continue
        if level.sellable > 0:
            holders.setdefault(sku_of[level.product_id], []).append(
                (index_of[level.location_id], level.sellable)
            )
    weights = {product.sku: product.weight_grams for product in demo.products}
    return Network(size, sites, weights, {sku: tuple(h) for sku, h in holders.items()})


def draw_orders(network: Network, count: int, rng: random.Random) -> list[Order]:
    cities: list[City] = [city for city in CITIES if city.is_continental]
    populations = [city.metro_k for city in cities]
    skus = sorted(network.holders)
    orders: list[Order] = []
    for _ in range(count):
        city = rng.choices(cities, weights=populations)[0]
        site = suburb(city, rng, 1.0, 40.0)
        chosen = rng.sample(skus, rng.randint(1, 5))
        lines = {sku: rng.choices(QUANTITIES, weights=QUANTITY_WEIGHTS)[0] for sku in chosen}
        orders.append(Order(GeoPoint(site.latitude, site.longitude), lines))
    return orders


def candidates_for(network: Network, order: Order) -> list[SourcingCandidate]:
    """Every location holding some of the cart, with its stock of the cart's SKUs."""
    stock: dict[int, dict[str, int]] = {}
    for sku in order.lines:
        for index, units in network.holders.get(sku, ()):
            stock.setdefault(index, {})[sku] = units
    found: list[SourcingCandidate] = []
    for index, held in sorted(stock.items()):
        site = network.sites[index]
        candidate = Candidate(
            site.location_id,
            site.code,
            site.location_type,
            site.point,
            site.capabilities,
            site.schedule,
            distance_km(order.destination, site.point),
            held,
        )
        found.append(SourcingCandidate(candidate, site.labour, 0, site.daily_capacity))
    return found


def plan_per_line(lines: Mapping[str, int], candidates: Sequence[Candidate]) -> list[Package]:
    """The other naive reading: each line from the nearest location holding all of it (ties
    on distance break on id), a line none holds in full taken nearest first; the lines a
    location is given travel in one package. Empty when the network is short."""
    ordered = sorted(candidates, key=lambda c: (c.distance_km, c.location_id))
    packages: dict[int, dict[str, int]] = {}
    for sku, qty in sorted(lines.items()):
        whole = next((c for c in ordered if c.stock.get(sku, 0) >= qty), None)
        if whole is not None:
            packages.setdefault(whole.location_id, {})[sku] = qty
            continue
        left = qty
        for c in ordered:
            take = min(left, c.stock.get(sku, 0))
            if take > 0:
                packages.setdefault(c.location_id, {})[sku] = take
                left -= take
            if left == 0:
                break
        if left:
            return []
    return sorted(packages.items())


class GcClock:
    """Seconds spent in garbage collection passes, through ``gc.callbacks``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.passes = 0
        # Passes of the oldest generation: full collections, the long pauses.
        self.full_passes = 0
        self._started = 0.0

    def __call__(self, phase: str, info: Mapping[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.passes += 1
            self.full_passes += info.get("generation") == 2


def rules(penalty_minor: int = SPLIT_PENALTY_MINOR) -> SourcingRules:
    policy = MethodPolicy(max_packages=MAX_PACKAGES, split_penalty=Money(penalty_minor, CURRENCY))
    return SourcingRules(currency=CURRENCY, methods={METHOD: policy})


def _packages_of(decision: SourcingDecision) -> list[Package]:
    return [(p.source.location_id, dict(p.quantities)) for p in decision.packages]


def _naive_packages(plan: FulfilmentPlan) -> list[Package]:
    return [(a.candidate.location_id, dict(a.quantities)) for a in plan.allocations]


def _describe(packages: Sequence[Package]) -> str:
    return " + ".join(
        f"{location_id}:{','.join(f'{s}x{q}' for s, q in sorted(quantities.items()))}"
        for location_id, quantities in packages
    )


def measure(
    network: Network,
    orders: Sequence[Order],
    rates: RateTable,
    penalty_minor: int,
    clock: GcClock,
) -> Tally:
    from sourcing_milp import CostModel, Source, solve

    model = CostModel(
        rates, CARRIER_SERVICE[METHOD], network.weights_grams, penalty_minor, MAX_PACKAGES
    )
    tally = Tally(network.size)
    sourcing_rules = rules(penalty_minor)
    # The solver and the naive planner see every eligible location, not the engine's
    # shortlist, so the cost gap includes what the shortlist gives away.
    unbounded = replace(sourcing_rules, nearest_usable=None)
    for order in orders:
        candidates = candidates_for(network, order)
        request = SourcingRequest(
            channel="WEB",
            method=METHOD,
            lines=order.lines,
            candidates=candidates,
            now=NOW,
            weights_grams={sku: network.weights_grams[sku] for sku in order.lines},
            currency=CURRENCY,
        )
        gc_seconds, gc_passes, gc_full = clock.seconds, clock.passes, clock.full_passes
        cpu, wall = time.process_time(), time.perf_counter()
        result = decide(request, sourcing_rules, rates=rates)
        engine_cpu, engine_wall = time.process_time() - cpu, time.perf_counter() - wall
        engine_gc = clock.seconds - gc_seconds
        tally.engine_gc_passes += clock.passes - gc_passes
        tally.engine_gc_full_passes += clock.full_passes - gc_full

        everyone = decide(request, unbounded, rates=rates).explanation.candidates
        kept = {v.location_id for v in everyone if v.eligible}
        eligible = [c for c in candidates if c.location_id in kept]
        sources = {
            c.location_id: Source(
                c.location_id,
                c.distance_km,
                c.candidate.stock,
                c.labour.per_line.minor if c.labour else 0,
                c.labour.per_unit.minor if c.labour else 0,
            )
            for c in eligible
        }
        cpu, wall = time.process_time(), time.perf_counter()
        naive = plan_fulfilment(METHOD, order.lines, [c.candidate for c in eligible])
        naive_cpu, naive_wall = time.process_time() - cpu, time.perf_counter() - wall
        per_line = plan_per_line(order.lines, [c.candidate for c in eligible])

        bound = _upper_bound(sources, order.lines, naive, model)
        optimum = solve(list(sources.values()), order.lines, model, bound)
        tally.orders += 1
        tally.candidates.append(len(candidates))
        tally.eligible.append(len(eligible))
        tally.engine_cpu.append(engine_cpu)
        tally.engine_wall.append(engine_wall)
        tally.engine_gc.append(engine_gc)
        tally.engine_wall_less_gc.append(engine_wall - engine_gc)
        tally.engine_cpu_less_gc.append(engine_cpu - engine_gc)
        tally.naive_cpu.append(naive_cpu)
        tally.naive_wall.append(naive_wall)
        if optimum is None:
            tally.infeasible += 1
            continue
        _score(tally, optimum, result, naive, per_line, sources, model)
    return tally


def _upper_bound(
    sources: Mapping[int, Source], lines: Mapping[str, int], naive: object, model: CostModel
) -> int | None:
    """A feasible plan's cost, found without the engine: the naive plan if within the package
    limit, or the cheapest single location holding the whole cart."""
    from sourcing_milp import plan_cost

    costs: list[int] = []
    if isinstance(naive, FulfilmentPlan) and naive.packages <= MAX_PACKAGES:
        cost = plan_cost(_naive_packages(naive), sources, model)
        if cost is not None:
            costs.append(cost)
    for location_id, source in sources.items():
        if all(source.stock.get(sku, 0) >= qty for sku, qty in lines.items()):
            cost = plan_cost([(location_id, dict(lines))], sources, model)
            if cost is not None:
                costs.append(cost)
    return min(costs, default=None)


def _score(
    tally: Tally,
    optimum: Optimum,
    result: SourcingDecision | NoPlan,
    naive: object,
    per_line: Sequence[Package],
    sources: Mapping[int, Source],
    model: CostModel,
) -> None:
    from sourcing_milp import plan_cost as price

    tally.solver_seconds.append(optimum.seconds)
    best = optimum.cost_minor
    if round(optimum.objective) == best:
        tally.optimum_verified += 1
    tally.optimum_splits += len(optimum.packages) > 1
    tally.optimum_extra += len(optimum.packages) - 1
    if isinstance(naive, FulfilmentPlan):
        packages = _naive_packages(naive)
        cost = price(packages, sources, model)
        if cost is None:
            tally.naive_no_plan += 1
        else:
            tally.naive_gaps.append(100.0 * (cost - best) / best)
            tally.naive_splits += len(packages) > 1
            tally.naive_extra += len(packages) - 1
            tally.naive_over_limit += len(packages) > MAX_PACKAGES
    else:
        tally.naive_no_plan += 1
    line_cost = price(per_line, sources, model) if per_line else None
    if line_cost is None:
        tally.line_no_plan += 1
    else:
        tally.line_gaps.append(100.0 * (line_cost - best) / best)
        tally.line_splits += len(per_line) > 1
        tally.line_extra += len(per_line) - 1
        tally.line_over_limit += len(per_line) > MAX_PACKAGES
    if not isinstance(result, SourcingDecision):
        tally.engine_no_plan += 1
        return
    packages = _packages_of(result)
    cost = price(packages, sources, model)
    if cost is None or cost != result.cost.total.minor:
        tally.engine_cost_mismatch += 1
    if cost is None:
        tally.engine_no_plan += 1
        return
    gap = 100.0 * (cost - best) / best
    tally.engine_gaps.append(gap)
    tally.engine_splits += len(packages) > 1
    tally.engine_extra += len(packages) - 1
    tally.engine_cut_short += bool(result.explanation.stats and result.explanation.stats.cut_short)
    if cost <= best:
        tally.engine_optimal += 1
        tally.engine_below_optimum += cost < best
        return
    tally.lost_cents.append(cost - best)
    same = {i for i, _ in packages} == {i for i, _ in optimum.packages}
    if same:
        tally.lost_same_locations += 1
    else:
        tally.lost_other_locations += 1
    if gap > tally.worst[0]:
        tally.worst = (
            gap,
            f"engine {cost} ({_describe(packages)}) vs optimum {best} "
            f"({_describe(optimum.packages)})",
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Sourcing engine cost, splits and latency against the exact optimum "
        "(HiGHS) and two nearest-location baselines."
    )
    parser.add_argument("--quick", action="store_true", help="100 orders per network size")
    parser.add_argument("--orders", type=int, help="orders per network size (default 1,000)")
    parser.add_argument(
        "--sizes", default="100,500", help="network sizes, from 100 and 500 (default both)"
    )
    parser.add_argument("--seed", type=int, default=SEED, help="seed for the orders")
    parser.add_argument(
        "--python-gc",
        action="store_true",
        help="keep Python's own collector settings instead of the server's (frozen start-up "
        "heap, raised young threshold)",
    )
    parser.add_argument(
        "--split-penalty",
        type=float,
        default=SPLIT_PENALTY_MINOR / 100,
        help="USD added per package beyond the first, in the engine and the optimum alike "
        f"(default {SPLIT_PENALTY_MINOR / 100:.2f})",
    )
    return parser.parse_args(argv)


def main(args: argparse.Namespace) -> int:
    try:
        import highspy  # noqa: F401
    except ImportError:
        print(
            "sourcing_quality.py needs the HiGHS solver (highspy) for the exact optimum:\n"
            "    .venv/bin/pip install -e '.[bench]'",
            file=sys.stderr,
        )
        return 2
    sizes = [int(size) for size in args.sizes.split(",")]
    unknown = [size for size in sizes if size not in NETWORKS]
    if unknown:
        print(f"unknown sizes {unknown}; choose from {sorted(NETWORKS)}", file=sys.stderr)
        return 2
    count = args.orders or (100 if args.quick else 1_000)
    young_threshold = Settings().gc_young_threshold
    penalty = round(args.split_penalty * 100)
    print(machine_line())
    print(
        f"{count} {METHOD.value} orders per size, seed {args.seed}; {SKUS} SKUs; split "
        f"penalty {penalty / 100:.2f} USD, at most {MAX_PACKAGES} packages"
        + (
            "; Python's own collector settings"
            if args.python_gc
            else f"; the server's collector (heap frozen after set-up, young threshold"
            f" {young_threshold})"
        )
    )
    rates = us_ground_and_express(CURRENCY)
    tallies = []
    clock = GcClock()
    gc.callbacks.append(clock)
    started = time.perf_counter()
    for size in sizes:
        network = build_network(size)
        orders = draw_orders(network, count, random.Random(f"sourcing-quality/{args.seed}/{size}"))
        decide(  # warm-up: imports, caches of the calendar
            SourcingRequest(
                "WEB",
                METHOD,
                orders[0].lines,
                candidates_for(network, orders[0]),
                NOW,
                dict(network.weights_grams),
            ),
            rules(penalty),
            rates=rates,
        )
        collector = ServerCollector(0 if args.python_gc else young_threshold)
        collector.start()
        try:
            tallies.append(measure(network, orders, rates, penalty, clock))
        finally:
            collector.stop()
        print(f"  {size} locations done after {time.perf_counter() - started:.0f} s", flush=True)
    print()
    gc.callbacks.remove(clock)
    print(report(tallies, MAX_PACKAGES))
    print(f"\n{machine_line()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
