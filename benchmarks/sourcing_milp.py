"""The exact optimum of one sourcing decision, as a mixed-integer programme solved by HiGHS.

Used by ``sourcing_quality.py``; not a benchmark itself. Nothing here calls the engine: the
cost of a plan is recomputed from the rate table and the pick labour (``plan_cost``), so a
disagreement between the engine's reported cost and this one is caught, not shared.

The cost model (the one ``omnigraph.domain.sourcing.decide`` minimises for shipping methods
without plugin cost terms): each package pays the carrier's quote for its location's
distance and its billable kilograms (per started kilogram, one-kilogram minimum), plus
``per_line`` for every SKU it picks and ``per_unit`` for every unit; a plan of ``n``
packages pays the split penalty ``n - 1`` times; at most ``max_packages`` packages.

Formulation, for eligible locations ``l``, cart lines ``s`` (quantity ``q_s``, unit weight
``w_s``) and usable stock ``a_ls``:

- ``y_l`` binary: ``l`` sends a package. ``x_ls`` integer in ``[0, min(a_ls, q_s)]``: units of
  ``s`` it sends. ``z_ls`` binary: it picks line ``s`` (``x_ls <= min(a_ls, q_s) z_ls``,
  ``z_ls <= y_l``). A package is never empty: ``sum_s x_ls >= y_l``.
- Weight brackets, exactly: ``b_lk`` binary for each billable kilogram ``k = 1..K_l`` (``K_l``
  the most ``l`` could ever carry of the cart, capped at the carrier's maximum weight);
  ``sum_k b_lk = y_l`` and ``sum_s w_s x_ls <= sum_k 1000 k b_lk``. The bracket's price is the
  rate table's quote for ``1000 k`` grams, whatever its shape: nothing assumes it is linear.
  Prices grow with ``k``, so the solver picks the smallest bracket that holds the box; a
  larger one would only cost more, so the optimum is the true price.
- Every line is covered: ``sum_l x_ls = q_s``; ``sum_l y_l <= max_packages``.
- Minimise ``sum price_lk b_lk + per_line_l z_ls + per_unit_l x_ls + penalty (sum y_l - 1)``.

Costs are integers (minor units), so with a zero relative gap and an absolute gap below one
minor unit an "optimal" status is a proof.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import highspy
import numpy as np

from omnigraph.domain.rating import RateTable

# A gap below one minor unit: every plan costs a whole number of minor units.
ABSOLUTE_GAP = 0.5


@dataclass(frozen=True, slots=True)
class Source:
    """One eligible location as the cost model sees it."""

    location_id: int
    distance_km: float
    stock: Mapping[str, int]
    per_line_minor: int
    per_unit_minor: int


@dataclass(frozen=True, slots=True)
class CostModel:
    rates: RateTable
    service: str
    weights_grams: Mapping[str, int]
    penalty_minor: int
    max_packages: int

    def shipping_minor(self, distance_km: float, grams: int) -> int | None:
        quote = self.rates.quote(self.service, distance_km, grams)
        return None if quote is None else quote.price.minor


Package = tuple[int, Mapping[str, int]]  # location id, quantities


def plan_cost(
    packages: Sequence[Package], sources: Mapping[int, Source], model: CostModel
) -> int | None:
    """What a plan costs under the model; None when a box cannot be shipped at all."""
    total = model.penalty_minor * max(0, len(packages) - 1)
    for location_id, quantities in packages:
        source = sources[location_id]
        grams = sum(model.weights_grams[sku] * qty for sku, qty in quantities.items())
        shipping = model.shipping_minor(source.distance_km, grams)
        if shipping is None:
            return None
        total += shipping
        total += source.per_line_minor * len(quantities) + source.per_unit_minor * sum(
            quantities.values()
        )
    return total


@dataclass(frozen=True, slots=True)
class Optimum:
    cost_minor: int
    packages: tuple[Package, ...]
    objective: float  # HiGHS's optimal objective: equals cost_minor when the model is right
    seconds: float
    columns: int


class _Model:
    """Columns and rows gathered in Python, handed to HiGHS in two calls."""

    def __init__(self) -> None:
        self.cost: list[float] = []
        self.upper: list[float] = []
        self.integer: list[int] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []
        self.starts: list[int] = []
        self.indices: list[int] = []
        self.values: list[float] = []

    def column(self, cost: float, upper: float) -> int:
        self.cost.append(cost)
        self.upper.append(upper)
        self.integer.append(len(self.cost) - 1)
        return len(self.cost) - 1

    def row(self, terms: Sequence[tuple[int, float]], lower: float, upper: float) -> None:
        self.starts.append(len(self.indices))
        for index, value in terms:
            self.indices.append(index)
            self.values.append(value)
        self.row_lower.append(lower)
        self.row_upper.append(upper)

    def solve(
        self, offset: float, bound: int | None
    ) -> tuple[highspy.HighsModelStatus, list[float], float, float]:
        highs = highspy.Highs()
        if bound is not None:
            # Branches that cannot beat a known plan are cut; the optimum is at most this.
            highs.setOptionValue("objective_bound", bound + ABSOLUTE_GAP)
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("threads", 1)
        highs.setOptionValue("mip_rel_gap", 0.0)
        highs.setOptionValue("mip_abs_gap", ABSOLUTE_GAP)
        count = len(self.cost)
        highs.addCols(
            count,
            np.array(self.cost, dtype=np.float64),
            np.zeros(count, dtype=np.float64),
            np.array(self.upper, dtype=np.float64),
            0,
            np.array([], dtype=np.int32),
            np.array([], dtype=np.int32),
            np.array([], dtype=np.float64),
        )
        highs.addRows(
            len(self.row_lower),
            np.array(self.row_lower, dtype=np.float64),
            np.array(self.row_upper, dtype=np.float64),
            len(self.indices),
            np.array(self.starts, dtype=np.int32),
            np.array(self.indices, dtype=np.int32),
            np.array(self.values, dtype=np.float64),
        )
        highs.changeColsIntegrality(
            len(self.integer),
            np.array(self.integer, dtype=np.int32),
            np.full(len(self.integer), 1, dtype=np.uint8),  # kInteger
        )
        highs.changeObjectiveOffset(offset)
        highs.run()
        status = highs.getModelStatus()
        optimal = status == _OPTIMAL
        values = list(highs.getSolution().col_value) if optimal else []
        objective = highs.getInfo().objective_function_value if optimal else math.nan
        return status, values, objective, highs.getRunTime()


_OPTIMAL = highspy.HighsModelStatus.kOptimal


def floor_minor(source: Source, model: CostModel) -> int | None:
    """The least any package from ``source`` can cost: one kilogram, one line, one unit."""
    shipping = model.shipping_minor(source.distance_km, 0)
    return None if shipping is None else shipping + source.per_line_minor + source.per_unit_minor


def solve(
    sources: Sequence[Source],
    lines: Mapping[str, int],
    model: CostModel,
    upper_bound: int | None = None,
) -> Optimum | None:
    """The cheapest plan over exactly these sources; None when no plan exists.

    ``upper_bound`` is the cost of some feasible plan (computed by the caller, not by the
    engine). A location whose cheapest possible package already costs more cannot be part of
    a cheaper plan, as every cost is non-negative, so it is left out of the programme: the
    optimum's value is unchanged and the solver has far fewer columns.
    """
    if upper_bound is not None:
        sources = [
            s for s in sources if (f := floor_minor(s, model)) is not None and f <= upper_bound
        ]
    built = _Model()
    inf = math.inf
    y: dict[int, int] = {}
    x: dict[tuple[int, str], int] = {}
    per_sku: dict[str, list[int]] = {sku: [] for sku in lines}
    for source in sources:
        caps = {s: min(source.stock.get(s, 0), q) for s, q in lines.items()}
        caps = {s: cap for s, cap in caps.items() if cap > 0}
        if not caps:
            continue
        most = sum(model.weights_grams[s] * cap for s, cap in caps.items())
        brackets = max(1, math.ceil(most / 1000))
        brackets = min(brackets, model.rates.max_weight_grams // 1000)
        prices = [
            model.shipping_minor(source.distance_km, 1000 * k) for k in range(1, 1 + brackets)
        ]
        if prices[0] is None:
            continue
        ship = built.column(model.penalty_minor, 1)
        y[source.location_id] = ship
        held: list[tuple[int, float]] = []
        weight: list[tuple[int, float]] = []
        for sku, cap in caps.items():
            units = built.column(source.per_unit_minor, cap)
            picked = built.column(source.per_line_minor, 1)
            x[(source.location_id, sku)] = units
            per_sku[sku].append(units)
            built.row([(units, 1.0), (picked, -float(cap))], -inf, 0.0)
            built.row([(picked, 1.0), (ship, -1.0)], -inf, 0.0)
            held.append((units, 1.0))
            weight.append((units, float(model.weights_grams[sku])))
        built.row([*held, (ship, -1.0)], 0.0, inf)
        chosen: list[tuple[int, float]] = []
        for k, price in enumerate(prices, start=1):
            if price is None:
                break
            bracket = built.column(price, 1)
            chosen.append((bracket, 1.0))
            weight.append((bracket, -1000.0 * k))
        built.row([*chosen, (ship, -1.0)], 0.0, 0.0)
        built.row(weight, -inf, 0.0)
    for sku, qty in lines.items():
        if not per_sku[sku]:
            return None
        built.row([(column, 1.0) for column in per_sku[sku]], qty, qty)
    built.row([(column, 1.0) for column in y.values()], -inf, model.max_packages)
    status, values, objective, seconds = built.solve(-float(model.penalty_minor), upper_bound)
    if status == highspy.HighsModelStatus.kInfeasible:
        return None
    if status != _OPTIMAL:
        raise RuntimeError(f"HiGHS stopped with status {status}")
    packages: list[Package] = []
    for location_id, ship in y.items():
        if values[ship] < 0.5:
            continue
        quantities = {
            sku: round(values[column])
            for (where, sku), column in x.items()
            if where == location_id and round(values[column]) > 0
        }
        packages.append((location_id, quantities))
    by_id = {source.location_id: source for source in sources}
    cost = plan_cost(packages, by_id, model)
    if cost is None:
        raise RuntimeError("the solver's plan cannot be shipped: the formulation is wrong")
    packages.sort(key=lambda package: package[0])
    return Optimum(cost, tuple(packages), objective, seconds, len(built.cost))
