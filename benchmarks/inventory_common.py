"""What the inventory benchmarks share: latency samples, a closed-loop driver, the table.

Used by ``inventory_write.py`` and ``inventory_availability.py``; not a benchmark itself.
"""

from __future__ import annotations

import asyncio
import math
import os
import platform
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Sample:
    """Latencies (seconds) of one measured cell, its wall time and how many calls failed."""

    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    failures: int = 0

    @property
    def ops(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.ops / self.wall if self.wall > 0 else 0.0

    def percentile_ms(self, share: float) -> float:
        """Nearest-rank percentile in milliseconds (``share`` in 0..1)."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        rank = max(0, math.ceil(share * len(ordered)) - 1)
        return ordered[rank] * 1000.0


async def closed_loop(
    operation: Callable[[int], Awaitable[bool]],
    total: int,
    concurrency: int,
    max_seconds: float | None = None,
) -> Sample:
    """Run ``operation(seq)`` ``total`` times from ``concurrency`` workers, each sending its
    next call as soon as the previous one is answered (a closed loop, like ``wrk``); with
    ``max_seconds``, no new call starts after that long (calls in flight finish).

    ``operation`` returns True when it succeeded; False counts as a failure (and its
    latency is still recorded). ``seq`` is unique per call, for cart ids and the like.
    """
    sample = Sample()
    counter = iter(range(total))
    deadline = math.inf if max_seconds is None else time.perf_counter() + max_seconds

    async def worker() -> None:
        for seq in counter:
            if time.perf_counter() > deadline:
                return
            started = time.perf_counter()
            ok = await operation(seq)
            sample.latencies.append(time.perf_counter() - started)
            if not ok:
                sample.failures += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    sample.wall = time.perf_counter() - started
    return sample


def render_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table with columns padded to line up in a terminal too."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "| " + " | ".join("-" * w for w in widths) + " |"
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def fmt_rate(value: float) -> str:
    return f"{value:,.0f}"


def fmt_ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}"


def machine_line() -> str:
    cpus = os.cpu_count() or 0
    load = os.getloadavg()[0]
    return (
        f"{platform.node()}: {cpus} CPUs, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, load average {load:.1f}"
    )
