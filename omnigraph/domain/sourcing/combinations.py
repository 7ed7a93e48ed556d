"""The combinations a split may use: pools of locations, a lower bound on what a group of
them costs, and a frontier that lists their combinations cheapest bound first.

Used by ``search``; see its module docstring for how they fit together.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence

from omnigraph.domain.sourcing.costs import Pricer
from omnigraph.domain.sourcing.eligibility import Usable
from omnigraph.domain.sourcing.parts import CheapestParts

PAIR_POOL = 24
TRIPLE_POOL = 12
# Each SKU brings its cheapest holders into the pool, so a line held only far away still has
# a candidate partner.
PAIR_HOLDERS_PER_SKU = 4
TRIPLE_HOLDERS_PER_SKU = 3


class PoolSource:
    """What building the pools needs, sorted once per search rather than once per pool."""

    def __init__(
        self,
        usable: Sequence[Usable],
        lines: Mapping[str, int],
        widest: int,
        partners: list[Usable],
    ) -> None:
        self.lines = lines
        self.partners = partners
        # Equal floors: the nearer first, as the plans' own tie-break prefers shorter trips.
        self.by_floor = sorted(
            usable, key=lambda u: (u.floor_minor, u.source.distance_km, u.location_id)
        )
        # Only the first ``widest`` by coverage can ever be reached while topping up a pool:
        # each one looked at either joins it or was already in it.
        wanted = tuple(lines.items())

        def coverage(u: Usable) -> tuple[int, int, float, int]:
            stock, covered = u.stock, 0
            for sku, qty in wanted:
                held = stock.get(sku, 0)
                covered += held if held < qty else qty
            return -covered, u.floor_minor, u.source.distance_km, u.location_id

        self.by_coverage = heapq.nsmallest(widest, usable, key=coverage)

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
        for u in self.partners:
            chosen.setdefault(u.location_id, u)
        for u in self.by_coverage[: max(size, 0)]:
            if len(chosen) >= size:
                break
            chosen.setdefault(u.location_id, u)
        # Members sorted by floor make the bound grow along the loops, so a loop can stop early.
        return sorted(
            list(chosen.values())[: max(size, 0)],
            key=lambda u: (u.floor_minor, u.source.distance_km, u.location_id),
        )


def _partners(
    usable: Sequence[Usable], lines: Mapping[str, int], pricer: Pricer, parts: CheapestParts | None
) -> list[Usable]:
    """The cheapest holder of every part of the cart short of all of it (``CheapestParts``,
    priced here unless the screening already did).

    Floors rank locations by a one-line package, so a far warehouse with cheap labour per
    line ranks behind near stores for every single SKU, yet it is the cheapest partner for
    the two or three lines it holds: without it a split would pair two dearer stores.
    """
    if parts is None:
        parts = CheapestParts(lines, pricer)
        for u in usable:
            parts.offer(u.source, parts.held(u.stock))
    by_id = {u.location_id: u for u in usable}
    return [by_id[i] for i in parts.partners() if i in by_id]


class LowerBound:
    """A lower bound on any plan of a group of locations covering the cart.

    Every member ships at least one kilogram and picks at least one line and one unit (its
    floor); the rest of the cart's billable kilograms, lines and units cost at least the
    group's cheapest per-kilogram rate, per-line and per-unit labour. Exact for
    ``RateTable`` pricing and non-negative plugin terms.
    """

    def __init__(self, pricer: Pricer, lines: Mapping[str, int], penalty: int) -> None:
        self.pricer = pricer
        self.kilograms = max(1, math.ceil(pricer.weight_of(lines) / 1000))
        self.lines = len(lines)
        self.units = sum(lines.values())
        self.penalty = penalty
        self._rates: dict[int, tuple[int, int, int]] = {}

    def rates(self, member: Usable) -> tuple[int, int, int]:
        """The member's per-kilogram rate, per-unit and per-line labour, once per decision."""
        found = self._rates.get(member.location_id)
        if found is None:
            source = member.source
            found = (
                self.pricer.slope_minor(source),
                self.pricer.unit_minor(source),
                self.pricer.line_minor(source),
            )
            self._rates[member.location_id] = found
        return found

    def extra(self, size: int, slope: int, unit: int, line: int) -> int:
        return (
            slope * max(0, self.kilograms - size)
            + unit * max(0, self.units - size)
            + line * max(0, self.lines - size)
            + self.penalty * (size - 1)
        )


class Pool:
    """One size's pool, sorted by floor, with what its combinations' bounds need."""

    def __init__(
        self, members: Sequence[Usable], lines: Mapping[str, int], bounds: LowerBound, size: int
    ) -> None:
        self.members = members
        self.size = size
        self.floors = [m.floor_minor for m in members]
        self.rates = [bounds.rates(m) for m in members]
        # The least any combination of this size pays on top of its members' floors.
        self.base = bounds.extra(
            size,
            min(r[0] for r in self.rates),
            min(r[1] for r in self.rates),
            min(r[2] for r in self.rates),
        )
        skus = sorted(lines)
        self.wanted = tuple(lines[sku] for sku in skus)
        self.stock = [tuple(m.stock.get(sku, 0) for sku in skus) for m in members]
        # Lines as bits: those a member holds some of, and those it holds in full. A group
        # missing a bit of the first kind cannot cover the cart, one with every bit of the
        # second kind does; only the rest need adding up.
        self.everything = (1 << len(skus)) - 1
        self.some = [
            sum(1 << bit for bit, units in enumerate(held) if units) for held in self.stock
        ]
        self.full = [
            sum(
                1 << bit
                for bit, (units, want) in enumerate(zip(held, self.wanted, strict=True))
                if units >= want
            )
            for held in self.stock
        ]

    def key(self, indices: tuple[int, ...]) -> int:
        return sum(self.floors[i] for i in indices) + self.base

    def covers(self, indices: tuple[int, ...]) -> bool:
        some = full = 0
        for i in indices:
            some |= self.some[i]
            full |= self.full[i]
        if some != self.everything:
            return False
        if full == self.everything:
            return True
        held = [sum(units) for units in zip(*(self.stock[i] for i in indices), strict=True)]
        return all(have >= want for have, want in zip(held, self.wanted, strict=True))

    def bound(self, indices: tuple[int, ...], bounds: LowerBound) -> int:
        floors, rates = self.floors, self.rates
        first = indices[0]
        floor = floors[first]
        slope, unit, line = rates[first]
        for i in indices[1:]:
            floor += floors[i]
            other = rates[i]
            slope, unit, line = (
                min(slope, other[0]),
                min(unit, other[1]),
                min(line, other[2]),
            )
        return floor + bounds.extra(self.size, slope, unit, line)


class Frontier:
    """Combinations of every size from 2 up, cheapest ``Pool.key`` first.

    A combination's key (its floors plus what every combination of its size pays on top) is
    a lower bound on its plans and grows when a member is replaced by a later one of the
    floor-sorted pool. Each combination but the first has one parent, itself with the first
    member that could move back one place moved back; popping the smallest and pushing its
    children lists every combination once, in key order, without building the ones never
    reached. Ties: fewer packages first, then pool order, so equal inputs explore equally.
    """

    def __init__(self, pools: Sequence[Pool]) -> None:
        self.pools = {pool.size: pool for pool in pools}
        self._heap: list[tuple[int, int, tuple[int, ...]]] = []
        for pool in pools:
            if len(pool.members) >= pool.size:
                first = tuple(range(pool.size))
                self._heap.append((pool.key(first), pool.size, first))
        heapq.heapify(self._heap)

    def peek(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def pop(self) -> tuple[Pool, tuple[int, ...]]:
        key, size, indices = heapq.heappop(self._heap)
        pool = self.pools[size]
        floors = pool.floors
        count = len(floors)
        for position, index in enumerate(indices):
            following = indices[position + 1] if position + 1 < size else count
            if index + 1 < following:
                child = (*indices[:position], index + 1, *indices[position + 1 :])
                raised = key + floors[index + 1] - floors[index]
                heapq.heappush(self._heap, (raised, size, child))
            if index != position:
                # Members after the first one off its earliest place are this combination's
                # children only through it: moving them belongs to another parent.
                break
        return pool, indices


def pools_for(
    usable: Sequence[Usable],
    lines: Mapping[str, int],
    bounds: LowerBound,
    max_packages: int,
    parts: CheapestParts | None = None,
) -> list[Pool]:
    """One pool per split size from 2 to ``max_packages``: pairs from the ``PAIR_POOL``
    best, larger groups from the ``TRIPLE_POOL`` best (see ``PoolSource.pool``).
    ``parts``: the cheapest holders of the cart's parts among ``usable``, if known."""
    partners = _partners(usable, lines, bounds.pricer, parts)
    source = PoolSource(usable, lines, max(PAIR_POOL, TRIPLE_POOL), partners)
    pools: list[Pool] = []
    for size in range(2, max_packages + 1):
        per_sku, cap = (
            (PAIR_HOLDERS_PER_SKU, PAIR_POOL)
            if size == 2
            else (TRIPLE_HOLDERS_PER_SKU, TRIPLE_POOL)
        )
        members = source.pool(per_sku, cap)
        if len(members) >= size:
            pools.append(Pool(members, lines, bounds, size))
    return pools
