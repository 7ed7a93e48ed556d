"""What ``sourcing_quality.py`` counts per network size, and the tables it prints.

Not a benchmark itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from inventory_common import render_table


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile; NaN when there are no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Tally:
    """What one network size produced, order by order."""

    size: int
    orders: int = 0
    candidates: list[int] = field(default_factory=list)
    eligible: list[int] = field(default_factory=list)
    infeasible: int = 0  # no plan within the package limit exists: left out of every figure
    engine_no_plan: int = 0
    naive_no_plan: int = 0
    naive_over_limit: int = 0
    optimum_verified: int = 0
    engine_cost_mismatch: int = 0
    engine_optimal: int = 0
    engine_below_optimum: int = 0  # must stay 0: the optimum is a lower bound
    engine_gaps: list[float] = field(default_factory=list)
    naive_gaps: list[float] = field(default_factory=list)
    engine_splits: int = 0
    optimum_splits: int = 0
    naive_splits: int = 0
    # Packages beyond the first, summed over orders: how many extra boxes each plan sends.
    engine_extra: int = 0
    optimum_extra: int = 0
    naive_extra: int = 0
    lost_same_locations: int = 0
    lost_other_locations: int = 0
    lost_cents: list[int] = field(default_factory=list)
    engine_cpu: list[float] = field(default_factory=list)
    engine_wall: list[float] = field(default_factory=list)
    naive_cpu: list[float] = field(default_factory=list)
    naive_wall: list[float] = field(default_factory=list)
    solver_seconds: list[float] = field(default_factory=list)
    worst: tuple[float, str] = (0.0, "")


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


def _per_hundred(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}" if whole else "-"


def report(tallies: Sequence[Tally], max_packages: int) -> str:
    cost_rows = []
    for t in tallies:
        scored = len(t.engine_gaps)
        cost_rows.append(
            [
                str(t.size),
                f"{t.orders - t.infeasible}",
                f"{t.optimum_verified}/{t.orders - t.infeasible}",
                f"{_mean(t.engine_gaps):.3f}%",
                f"{max(t.engine_gaps, default=math.nan):.2f}%",
                f"{t.engine_optimal}/{scored}",
                f"{_mean(t.naive_gaps):.2f}%",
                f"{max(t.naive_gaps, default=math.nan):.1f}%",
                _pct(t.optimum_splits, t.orders - t.infeasible),
                _pct(t.engine_splits, scored),
                _pct(t.naive_splits, len(t.naive_gaps)),
                _per_hundred(t.optimum_extra, t.orders - t.infeasible),
                _per_hundred(t.engine_extra, scored),
                _per_hundred(t.naive_extra, len(t.naive_gaps)),
                f"{t.engine_no_plan}/{t.naive_no_plan}/{t.naive_over_limit}",
                f"{t.engine_cost_mismatch}",
            ]
        )
    cost_table = render_table(
        [
            "locations",
            "orders",
            "optimum verified",
            "engine gap mean",
            "engine gap worst",
            "engine = optimum",
            "naive gap mean",
            "naive gap worst",
            "split: optimum",
            "split: engine",
            "split: naive",
            "extra boxes /100: optimum",
            "engine",
            "naive",
            "no plan eng/naive, naive >3 pkgs",
            "engine cost != repriced",
        ],
        cost_rows,
    )
    latency_rows = []
    for t in tallies:
        ms = 1000.0
        latency_rows.append(
            [
                str(t.size),
                f"{_mean(t.candidates):.0f} / {_mean(t.eligible):.0f}",
                f"{percentile(t.engine_cpu, 0.5) * ms:.2f}",
                f"{percentile(t.engine_cpu, 0.99) * ms:.2f}",
                f"{percentile(t.engine_wall, 0.5) * ms:.2f}",
                f"{percentile(t.engine_wall, 0.99) * ms:.2f}",
                f"{max(t.engine_wall, default=math.nan) * ms:.2f}",
                f"{percentile(t.naive_cpu, 0.5) * ms:.3f}",
                f"{percentile(t.naive_cpu, 0.99) * ms:.3f}",
                f"{percentile(t.solver_seconds, 0.5) * ms:.1f}",
                f"{percentile(t.solver_seconds, 0.99) * ms:.1f}",
            ]
        )
    latency_table = render_table(
        [
            "locations",
            "candidates / eligible",
            "engine cpu p50 ms",
            "engine cpu p99 ms",
            "engine wall p50 ms",
            "engine wall p99 ms",
            "engine wall max ms",
            "naive cpu p50 ms",
            "naive cpu p99 ms",
            "HiGHS p50 ms",
            "HiGHS p99 ms",
        ],
        latency_rows,
    )
    notes = []
    for t in tallies:
        lost = len(t.lost_cents)
        notes.append(
            f"{t.size} locations: engine above the optimum on {lost} orders "
            f"({t.lost_same_locations} with the optimum's locations but another division of "
            f"the quantities, {t.lost_other_locations} with other locations), "
            f"mean {(_mean(t.lost_cents) if lost else 0) / 100:.2f} USD when above; "
            f"{t.infeasible} orders had no plan within {max_packages} packages and are left out; "
            f"engine below the optimum (must be 0): {t.engine_below_optimum}."
        )
        if t.worst[1]:
            notes.append(f"  worst: {t.worst[0]:.2f}%: {t.worst[1]}")
    return "\n\n".join([cost_table, latency_table, "\n".join(notes)])
