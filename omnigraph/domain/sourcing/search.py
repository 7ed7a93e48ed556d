"""Finding the cheapest plan: single locations, then pairs and triples of a pruned pool.

Approach (bounded, deterministic, no randomness):

1. Every eligible location that holds the whole cart is priced as a one-package plan.
2. If the method may split, a pool of locations is kept (``combinations``): for each SKU
   the few cheapest holders (by the least a package from them can cost), then the cheapest
   sender of each part of the cart (``parts.CheapestParts``: a far warehouse with cheap
   labour per line is the best partner for the lines it holds), topped up with the
   locations that cover most of the cart. Pairs are drawn from ``PAIR_POOL`` locations and
   triples from the first ``TRIPLE_POOL`` of them.
3. Best first: combinations of every size come off one frontier in the order of a lower
   bound (their members' floors plus what every combination of the size pays on top), so
   the first plans found are good incumbents; the search ends when that bound exceeds the
   runner-up found so far. A combination unable to cover the cart between its members is
   skipped, and one whose own bound (its members' floors: one kilogram, one line and one
   unit each; the rest of the cart at the group's cheapest per-kilogram rate, per-line and
   per-unit labour; its split penalties) exceeds the runner-up is not tried.
4. A combination tried has its lines assigned greedily (lines only one member can cover
   whole first, then heaviest first), each to the member whose package grows cheapest,
   splitting a line only when no member can take all of it.
5. Budget: at most ``SEARCH_BUDGET`` combinations are tried (assigned and priced) per
   search. It is a count, never a clock, so equal inputs give equal plans. A search the
   budget stops says so (``SearchStats.cut_short``); its plans, the runner-up included,
   are the best of those tried, each with its exact cost.

Limits: a location outside the pool is never part of a split; greedy assignment may miss a
cheaper division of quantities inside a combination (carrier weight brackets); a search cut
short may miss a cheaper split; plugin cost terms are left out of the bound (assumed >= 0).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from omnigraph.domain.money import Money
from omnigraph.domain.promise import Window, combine_windows
from omnigraph.domain.sourcing.combinations import Frontier, LowerBound, Pool, pools_for
from omnigraph.domain.sourcing.costs import CostBreakdown, PackageCost, Pricer
from omnigraph.domain.sourcing.eligibility import Usable
from omnigraph.domain.sourcing.parts import CheapestParts
from omnigraph.domain.vocabulary import LocationType

# Combinations assigned and priced per search, beyond the single locations. Tried best bound
# first, the cheapest split of the benchmark's carts is nearly always among the first few;
# the budget caps the tail (five-line carts with hundreds of coverable combinations).
SEARCH_BUDGET = 24


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
    """How much the search looked at: single locations holding the whole cart, combinations
    tried (assigned and priced), combinations ruled out by coverage or the bound, and the
    largest pool combinations were drawn from."""

    singles: int
    combinations: int
    pruned: int
    pool: int
    # The budget, not the bound, ended the search: a cheaper split may have gone untried.
    cut_short: bool = False


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
    # Parts in location id order, whatever order the pool drew them in: the plan's key and
    # its explanation must not depend on how it was found.
    parts = sorted(zip(members, quantities, strict=True), key=lambda part: part[0].location_id)
    packages: list[PackageCost] = []
    for usable, share in parts:
        package = pricer.package(usable.source, share)
        if package is None:
            return None
        packages.append(package)
    currency = pricer.context.currency
    split = penalty * (len(members) - 1)
    cost = CostBreakdown(tuple(packages), Money(split, currency))
    return Plan(
        tuple(parts),
        cost,
        sum(p.total_minor for p in packages) + split,
        sum(p.shipping.minor for p in packages),
    )


def _assign(
    members: Sequence[Usable], lines: Mapping[str, int], pricer: Pricer
) -> list[dict[str, int]] | None:
    """Greedy division of the cart among members; None if some member would get nothing.

    Lines that fewer members hold in full go first (then the heavier, then by SKU); a line
    goes whole to the holder whose package grows cheapest (then the earlier member), and
    only a line nobody holds in full is split, most stock first.
    """
    shares: list[dict[str, int]] = [{} for _ in members]
    weights = [0] * len(members)
    unit_weights = pricer.weights
    # Each member's price line and labour, once: a package grows by what its billable
    # kilograms and lines cost (``shipping_minor`` and ``labour_minor``, as plain sums).
    prices = [pricer.price_line(m.source) for m in members]
    labour = [(pricer.line_minor(m.source), pricer.unit_minor(m.source)) for m in members]
    indices = range(len(members))
    holding = {
        sku: [i for i in indices if members[i].stock.get(sku, 0) >= qty]
        for sku, qty in lines.items()
    }
    order = sorted(lines, key=lambda s: (len(holding[s]), -unit_weights.get(s, 0) * lines[s], s))
    for sku in order:
        qty = lines[sku]
        grams = unit_weights.get(sku, 0) * qty
        whole = holding[sku]
        if whole:
            best = -1
            least: float = math.inf
            for i in whole:
                price = prices[i]
                before = weights[i]
                after = before + grams
                # Weights never shrink, so a package too heavy before is too heavy after.
                if price is None or after > price[2]:
                    marginal: float = math.inf
                else:
                    kilograms = ((after + 999) // 1000 or 1) - ((before + 999) // 1000 or 1)
                    per_line, per_unit = labour[i]
                    new_line = 0 if sku in shares[i] else 1
                    marginal = price[1] * kilograms + per_line * new_line + per_unit * qty
                if best < 0 or marginal < least:
                    best, least = i, marginal
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
        unit = unit_weights.get(sku, 0)
        for i, take in takes:
            shares[i][sku] = shares[i].get(sku, 0) + take
            weights[i] += unit * take
    return shares if all(shares) else None


def _total_minor(
    members: Sequence[Usable], shares: Sequence[Mapping[str, int]], pricer: Pricer, penalty: int
) -> int | None:
    """A plan's total without plugin terms, in plain integers (no plan built)."""
    total = penalty * (len(members) - 1)
    for usable, share in zip(members, shares, strict=True):
        shipping = pricer.shipping_minor(usable.source, pricer.weight_of(share))
        if shipping is None:
            return None
        total += shipping + pricer.labour_minor(usable.source, len(share), sum(share.values()))
    return total


def search(
    usable: Sequence[Usable],
    lines: Mapping[str, int],
    pricer: Pricer,
    *,
    max_packages: int,
    penalty_minor: int,
    preferred: LocationType | None = None,
    budget: int | None = SEARCH_BUDGET,
    parts: CheapestParts | None = None,
) -> SearchResult:
    """The two best plans (and the best served by ``preferred`` alone) found by trying every
    single location and at most ``budget`` combinations (None: no limit), best bound first.
    ``parts``: the cheapest holders of the cart's parts among ``usable`` when the screening
    priced them already (``Screening.parts``).
    """
    board = _Board(preferred)
    bounds = LowerBound(pricer, lines, penalty_minor)
    singles = combos = pruned = 0
    # Without plugin terms a package's total is plain arithmetic: a plan that cannot enter
    # the board is skipped before it is built.
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
    pools: list[Pool] = []
    # No split costs less than the two lowest floors and one penalty: when that is above the
    # runner-up already found, the pools are not even built (most one-line carts).
    cheapest_two = sum(heapq.nsmallest(2, (u.floor_minor for u in usable)))
    if max_packages >= 2 and cheapest_two + penalty_minor <= board.limit(True):
        pools = pools_for(usable, lines, bounds, max_packages, parts)
    frontier = Frontier(pools)
    cut_short = False
    popped = 0
    # The board's limit only moves when a plan is offered: asked once per offer, not per pop.
    limit = board.limit(True)
    while (key := frontier.peek()) is not None:
        if key > limit:
            # Popped in key order: no combination left can enter the board.
            break
        pool, indices = frontier.pop()
        popped += 1
        if not pool.covers(indices):
            pruned += 1
            continue
        group = tuple(pool.members[i] for i in indices)
        everyone = preferred is not None and all(m.source.location_type is preferred for m in group)
        if pool.bound(indices, bounds) > board.limit(everyone):
            pruned += 1
            continue
        if budget is not None and combos >= budget:
            cut_short = True
            break
        combos += 1
        shares = _assign(group, lines, pricer)
        if shares is None:
            continue
        if exact:
            total_minor = _total_minor(group, shares, pricer, penalty_minor)
            if total_minor is None or total_minor > board.limit(everyone):
                continue
        plan = _price(group, shares, pricer, penalty_minor)
        if plan is not None:
            board.offer(plan)
            limit = board.limit(True)
    if not cut_short:
        # Those never popped were ruled out by the bound as surely as those popped.
        pruned += sum(math.comb(len(p.members), p.size) for p in pools) - popped
    largest = max((len(pool.members) for pool in pools), default=0)
    stats = SearchStats(singles, combos, pruned, largest, cut_short)
    return SearchResult(tuple(board.top), board.preferred, stats)
