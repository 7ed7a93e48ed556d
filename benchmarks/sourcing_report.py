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
    # The per-line naive plan (each line from its nearest holder).
    line_no_plan: int = 0
    line_over_limit: int = 0
    line_gaps: list[float] = field(default_factory=list)
    line_splits: int = 0
    line_extra: int = 0
    engine_cut_short: int = 0  # decisions whose search the budget ended
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
    # Garbage collection inside each timed decision, and the wall time without it.
    engine_gc: list[float] = field(default_factory=list)
    engine_wall_less_gc: list[float] = field(default_factory=list)
    engine_cpu_less_gc: list[float] = field(default_factory=list)
    engine_gc_passes: int = 0
    # Passes of the oldest generation (a full collection) inside a timed decision.
    engine_gc_full_passes: int = 0
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


def _verdict(engine: int, engine_of: int, naive: int, naive_of: int) -> str:
    if not engine_of or not naive_of:
        return "-"
    ours, theirs = engine / engine_of, naive / naive_of
    return "fewer" if ours < theirs else "same" if ours == theirs else "MORE"


def report(tallies: Sequence[Tally], max_packages: int) -> str:
    cost_rows = []
    split_rows = []
    for t in tallies:
        scored = len(t.engine_gaps)
        feasible = t.orders - t.infeasible
        whole, per_line = len(t.naive_gaps), len(t.line_gaps)
        cost_rows.append(
            [
                str(t.size),
                f"{feasible}",
                f"{t.optimum_verified}/{feasible}",
                f"{_mean(t.engine_gaps):.3f}%",
                f"{max(t.engine_gaps, default=math.nan):.2f}%",
                f"{t.engine_optimal}/{scored}",
                f"{_mean(t.naive_gaps):.2f}%",
                f"{max(t.naive_gaps, default=math.nan):.1f}%",
                f"{_mean(t.line_gaps):.2f}%",
                f"{max(t.line_gaps, default=math.nan):.1f}%",
                f"{t.engine_no_plan}/{t.naive_no_plan}/{t.line_no_plan}",
                f"{t.engine_cost_mismatch}",
                f"{t.engine_cut_short}",
            ]
        )
        split_rows.append(
            [
                str(t.size),
                _pct(t.optimum_splits, feasible),
                _pct(t.engine_splits, scored),
                _pct(t.naive_splits, whole),
                _pct(t.line_splits, per_line),
                _per_hundred(t.optimum_extra, feasible),
                _per_hundred(t.engine_extra, scored),
                _per_hundred(t.naive_extra, whole),
                _per_hundred(t.line_extra, per_line),
                f"{t.naive_over_limit}/{t.line_over_limit}",
                _verdict(t.engine_splits, scored, t.naive_splits, whole),
                _verdict(t.engine_splits, scored, t.line_splits, per_line),
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
            "naive whole-cart gap mean",
            "worst",
            "naive per-line gap mean",
            "worst",
            "no plan: engine/whole/per-line",
            "engine cost != repriced",
            "engine searches cut by budget",
        ],
        cost_rows,
    )
    split_table = render_table(
        [
            "locations",
            "split: optimum",
            "engine",
            "naive whole-cart",
            "naive per-line",
            "extra boxes /100: optimum",
            "engine",
            "naive whole-cart",
            "naive per-line",
            f"naive >{max_packages} pkgs: whole/per-line",
            "engine splits vs whole-cart",
            "vs per-line",
        ],
        split_rows,
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
                f"{percentile(t.engine_cpu_less_gc, 0.99) * ms:.2f}",
                f"{percentile(t.engine_wall_less_gc, 0.99) * ms:.2f}",
                f"{sum(1 for g in t.engine_gc if g > 0)} / {t.engine_gc_passes}",
                f"{t.engine_gc_full_passes}",
                f"{_mean(t.engine_gc) * ms:.3f}",
                f"{max(t.engine_gc, default=math.nan) * ms:.2f}",
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
            "cpu p99 less GC ms",
            "wall p99 less GC ms",
            "decisions with GC / passes",
            "full GC passes",
            "GC ms / decision",
            "GC max ms",
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
    return "\n\n".join([cost_table, split_table, latency_table, "\n".join(notes)])
