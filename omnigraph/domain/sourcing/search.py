"""Finding the cheapest plan: single locations, then pairs and triples of a pruned pool.

Approach (bounded, deterministic, no randomness):

1. Every eligible location that holds the whole cart is priced as a one-package plan.
2. If the method may split, a pool of locations is kept: for each SKU the few cheapest
   holders (by the least a package from them can cost), topped up with the locations that
   cover most of the cart. Pairs are drawn from ``PAIR_POOL`` locations and triples from the
   first ``TRIPLE_POOL`` of them.
3. A combination must be able to cover every line between its members; lines are then
   assigned greedily (lines only one member can cover whole first, then heaviest first),
   each to the member whose package grows cheapest, splitting a line only when no member
   can take all of it.
4. Lower bound: a combination costs at least the sum of its members' one-unit package costs
   plus its split penalties. Combinations are enumerated in increasing order of those costs,
   so as soon as the bound exceeds the runner-up found so far the rest of the loop is cut.

Limits: a location outside the pool is never part of a split; greedy assignment may miss a
cheaper division of quantities inside a combination (carrier weight brackets); plans never
exceed three packages; plugin cost terms are left out of the bound (assumed >= 0).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from omnigraph.domain.money import Money
from omnigraph.domain.promise import Window, combine_windows
from omnigraph.domain.sourcing.costs import CostBreakdown, PackageCost, Pricer
from omnigraph.domain.sourcing.eligibility import Usable
from omnigraph.domain.vocabulary import LocationType

PAIR_POOL = 24
TRIPLE_POOL = 12
# Each SKU brings its cheapest holders into the pool, so a line held only far away still has
# a candidate partner.
PAIR_HOLDERS_PER_SKU = 4
TRIPLE_HOLDERS_PER_SKU = 3


@dataclass(frozen=True, slots=True)
class Plan:
    """Locations and quantities with their cost; parts are ordered by location id."""

    parts: tuple[tuple[Usable, Mapping[str, int]], ...]
    cost: CostBreakdown
    # Plain integers: the search compares plans thousands of times per decision.
    total_minor: int
    shipping_minor: int

    @property
    def packages(self) -> int:
        return len(self.parts)

    @property
    def location_ids(self) -> tuple[int, ...]:
        return tuple(usable.location_id for usable, _ in self.parts)

    @property
    def window(self) -> Window:
        return combine_windows([usable.window for usable, _ in self.parts])

    @property
    def arrives_on(self) -> date:
        return max(usable.arrives_on for usable, _ in self.parts)

    @property
    def distance_m(self) -> int:
        """Total distance of the packages in whole metres (exact to compare)."""
        return round(sum(usable.source.distance_km for usable, _ in self.parts) * 1000)

    def key(self) -> tuple[int, int, date, int, tuple[int, ...]]:
        """Cheapest first; on equal cost fewer packages, then earlier arrival, then the
        shorter total distance (less driving for the same money), then ids."""
        return (
            self.total_minor,
            self.packages,
            self.arrives_on,
            self.distance_m,
            self.location_ids,
        )

    def only(self, location_type: LocationType) -> bool:
        return all(u.source.location_type is location_type for u, _ in self.parts)

    def uses(self, location_type: LocationType) -> bool:
        return any(u.source.location_type is location_type for u, _ in self.parts)


@dataclass(frozen=True, slots=True)
class SearchStats:
    singles: int
    combinations: int
    pruned: int
    pool: int


@dataclass(frozen=True, slots=True)
class SearchResult:
    ranked: tuple[Plan, ...]  # the best and the runner-up, at most two
    best_preferred: Plan | None
    stats: SearchStats


class _Board:
    """The two best plans, and the best plan served only by the margin rule's preferred type."""

    def __init__(self, preferred: LocationType | None) -> None:
        self.preferred_type = preferred
        self.top: list[Plan] = []
        self.preferred: Plan | None = None
        self._limit = math.inf
        self._preferred_limit = math.inf

    def offer(self, plan: Plan) -> None:
        self.top = sorted([*self.top, plan], key=Plan.key)[:2]
        if len(self.top) == 2:
            self._limit = float(self.top[1].total_minor)
        if (
            self.preferred_type is not None
            and plan.only(self.preferred_type)
            and (self.preferred is None or plan.key() < self.preferred.key())
        ):
            self.preferred = plan
            self._preferred_limit = float(plan.total_minor)

    def limit(self, all_preferred: bool) -> float:
        """Bounds above this cannot change the result."""
        if all_preferred and self.preferred_type is not None:
            return max(self._limit, self._preferred_limit)
        return self._limit


def _price(
    members: Sequence[Usable], quantities: Sequence[dict[str, int]], pricer: Pricer, penalty: int
) -> Plan | None:
    packages: list[PackageCost] = []
    for usable, share in zip(members, quantities, strict=True):
        package = pricer.package(usable.source, share)
        if package is None:
            return None
        packages.append(package)
    currency = pricer.context.currency
    split = penalty * (len(members) - 1)
    cost = CostBreakdown(tuple(packages), Money(split, currency))
    return Plan(
        tuple(zip(members, quantities, strict=True)),
        cost,
        sum(p.total_minor for p in packages) + split,
        sum(p.shipping.minor for p in packages),
    )


def _assign(
    members: Sequence[Usable], lines: Mapping[str, int], pricer: Pricer
) -> list[dict[str, int]] | None:
    """Greedy division of the cart among members; None if some member would get nothing."""
    shares: list[dict[str, int]] = [{} for _ in members]
    weights = [0] * len(members)

    def marginal(index: int, sku: str, qty: int) -> float:
        member = members[index]
        before = pricer.shipping_minor(member.source, weights[index])
        after = pricer.shipping_minor(
            member.source, weights[index] + pricer.weights.get(sku, 0) * qty
        )
        if before is None or after is None:
            return math.inf
        new_line = 0 if sku in shares[index] else 1
        return after - before + pricer.labour_minor(member.source, new_line, qty)

    def holders(sku: str) -> int:
        return sum(1 for m in members if m.stock.get(sku, 0) >= lines[sku])

    order = sorted(lines, key=lambda s: (holders(s), -pricer.weights.get(s, 0) * lines[s], s))
    indices = range(len(members))
    for sku in order:
        qty = lines[sku]
        whole = [i for i in indices if members[i].stock.get(sku, 0) >= qty]
        if whole:
            best = min(whole, key=lambda i: (marginal(i, sku, qty), i))
            takes = [(best, qty)]
        else:
            takes = []
            left = qty
            for i in sorted(indices, key=lambda i: (-members[i].stock.get(sku, 0), i)):
                take = min(left, members[i].stock.get(sku, 0))
                if take > 0:
                    takes.append((i, take))
                    left -= take
            if left > 0:
                return None
        for i, take in takes:
            shares[i][sku] = shares[i].get(sku, 0) + take
            weights[i] += pricer.weights.get(sku, 0) * take
    return shares if all(shares) else None


class _PoolSource:
    """What building the pools needs, sorted once per search rather than once per pool."""

    def __init__(self, usable: Sequence[Usable], lines: Mapping[str, int], widest: int) -> None:
        self.lines = lines
        self.by_floor = sorted(usable, key=lambda u: (u.floor_minor, u.location_id))
        # Only the first ``widest`` by coverage can ever be reached while topping up a pool:
        # each one looked at either joins it or was already in it.
        self.by_coverage = heapq.nsmallest(
            widest,
            usable,
            key=lambda u: (
                -sum(min(u.stock.get(s, 0), q) for s, q in lines.items()),
                u.floor_minor,
                u.location_id,
            ),
        )

    def pool(self, per_sku: int, size: int) -> list[Usable]:
        chosen: dict[int, Usable] = {}
        for sku in sorted(self.lines):
            taken = 0
            for u in self.by_floor:
                if taken >= per_sku:
                    break
                if u.stock.get(sku, 0) > 0:
                    taken += 1
                    chosen.setdefault(u.location_id, u)
        for u in self.by_coverage[: max(size, 0)]:
            if len(chosen) >= size:
                break
            chosen.setdefault(u.location_id, u)
        # Members sorted by floor make the bound grow along the loops, so a loop can stop early.
        return sorted(
            list(chosen.values())[: max(size, 0)], key=lambda u: (u.floor_minor, u.location_id)
        )


def _covers(members: Iterable[Usable], lines: Mapping[str, int]) -> bool:
    group = list(members)
    return all(sum(m.stock.get(sku, 0) for m in group) >= qty for sku, qty in lines.items())


def _groups(
    pool: Sequence[Usable], size: int, base: int, board: _Board, cut: list[int]
) -> Iterator[tuple[Usable, ...]]:
    """Combinations of ``size`` members in pool order, cutting loops by the lower bound.

    The pool is sorted by floor cost, so once the cheapest completion of a prefix (plus
    ``base``, a bound on what every group of this size pays on top of its floors) is above
    the board's loosest limit, every later member at that depth is too: the loop stops.
    """
    count = len(pool)

    def extend(start: int, group: tuple[Usable, ...], partial: int) -> Iterator[tuple[Usable, ...]]:
        rest = size - len(group) - 1
        for index in range(start, count - rest):
            member = pool[index]
            cheapest_rest = sum(m.floor_minor for m in pool[index + 1 : index + 1 + rest])
            if partial + member.floor_minor + cheapest_rest + base > board.limit(True):
                cut[0] += 1
                return
            if rest == 0:
                yield (*group, member)
            else:
                yield from extend(index + 1, (*group, member), partial + member.floor_minor)

    yield from extend(0, (), 0)


class _Bound:
    """A lower bound on any plan of a group of locations covering the cart.

    Every member ships at least one kilogram and picks at least one unit (its floor); the
    rest of the cart's billable kilograms and units cost at least the group's cheapest
    per-kilogram rate and per-unit labour. Exact for ``RateTable`` pricing and non-negative
    plugin terms.
    """

    def __init__(self, pricer: Pricer, lines: Mapping[str, int], penalty: int) -> None:
        self.pricer = pricer
        self.kilograms = max(1, math.ceil(pricer.weight_of(lines) / 1000))
        self.units = sum(lines.values())
        self.penalty = penalty
        self._rates: dict[int, tuple[int, int]] = {}

    def rates(self, member: Usable) -> tuple[int, int]:
        """The member's per-kilogram rate and per-unit labour, computed once per decision."""
        found = self._rates.get(member.location_id)
        if found is None:
            source = member.source
            found = (self.pricer.slope_minor(source), self.pricer.unit_minor(source))
            self._rates[member.location_id] = found
        return found

    def extra(self, size: int, slope: int, unit: int) -> int:
        return (
            slope * max(0, self.kilograms - size)
            + unit * max(0, self.units - size)
            + self.penalty * (size - 1)
        )

    def of(self, group: Sequence[Usable]) -> int:
        slope = min(self.rates(m)[0] for m in group)
        unit = min(self.rates(m)[1] for m in group)
        return sum(m.floor_minor for m in group) + self.extra(len(group), slope, unit)


def search(
    usable: Sequence[Usable],
    lines: Mapping[str, int],
    pricer: Pricer,
    *,
    max_packages: int,
    penalty_minor: int,
    preferred: LocationType | None = None,
) -> SearchResult:
    board = _Board(preferred)
    bounds = _Bound(pricer, lines, penalty_minor)
    singles = combos = pruned = 0
    # Without plugin terms a single package's total is plain arithmetic: one that cannot
    # enter the board is skipped before a plan is built for it.
    exact = not pricer.terms
    weight = pricer.weight_of(lines)
    units = sum(lines.values())
    for u in usable:
        if all(u.stock.get(sku, 0) >= qty for sku, qty in lines.items()):
            singles += 1
            if exact:
                shipping = pricer.shipping_minor(u.source, weight)
                if shipping is None:
                    continue
                total = shipping + pricer.labour_minor(u.source, len(lines), units)
                everyone = preferred is not None and u.source.location_type is preferred
                if total > board.limit(everyone):
                    continue
            plan = _price([u], [dict(lines)], pricer, penalty_minor)
            if plan is not None:
                board.offer(plan)
    pool: list[Usable] = []
    pools: _PoolSource | None = None
    for size in range(2, max_packages + 1):
        per_sku, cap = (
            (PAIR_HOLDERS_PER_SKU, PAIR_POOL)
            if size == 2
            else (TRIPLE_HOLDERS_PER_SKU, TRIPLE_POOL)
        )
        if pools is None:
            pools = _PoolSource(usable, lines, max(PAIR_POOL, TRIPLE_POOL))
        pool = pools.pool(per_sku, cap)
        if len(pool) < size:
            continue
        slope = min(bounds.rates(m)[0] for m in pool)
        unit = min(bounds.rates(m)[1] for m in pool)
        cut = [0]
        for group in _groups(pool, size, bounds.extra(size, slope, unit), board, cut):
            everyone = preferred is not None and all(
                m.source.location_type is preferred for m in group
            )
            if bounds.of(group) > board.limit(everyone) or not _covers(group, lines):
                pruned += 1
                continue
            shares = _assign(group, lines, pricer)
            if shares is None:
                continue
            combos += 1
            plan = _price(group, shares, pricer, penalty_minor)
            if plan is not None:
                board.offer(plan)
        pruned += cut[0]
    stats = SearchStats(singles, combos, pruned, len(pool))
    return SearchResult(tuple(board.top), board.preferred, stats)
