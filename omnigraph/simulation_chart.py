"""A self-contained HTML page (inline SVG, no scripts, no network) comparing two rule sets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from omnigraph.domain.sourcing.simulation import Summary

BAR_WIDTH = 360
ROW_HEIGHT = 64
CURRENT_COLOUR = "#4C78A8"
ALTERNATIVE_COLOUR = "#F58518"


@dataclass(frozen=True, slots=True)
class Metric:
    title: str
    value: Callable[[Summary], float]
    text: Callable[[Summary], str]


METRICS: Sequence[Metric] = (
    Metric("Total cost", lambda s: float(s.total_cost.amount), lambda s: str(s.total_cost)),
    Metric(
        "Cost per order", lambda s: float(s.cost_per_order.amount), lambda s: str(s.cost_per_order)
    ),
    Metric(
        "Packages per order",
        lambda s: s.packages_per_order,
        lambda s: f"{s.packages_per_order:.3f}",
    ),
    Metric("Split rate", lambda s: s.split_rate, lambda s: f"{s.split_rate:.1%}"),
    Metric(
        "Average distance (km)",
        lambda s: s.average_distance_km,
        lambda s: f"{s.average_distance_km:.1f} km",
    ),
    Metric("Share meeting SLA", lambda s: s.sla_share, lambda s: f"{s.sla_share:.1%}"),
    Metric(
        "CO2 per order (g)",
        lambda s: s.co2_grams_per_order,
        lambda s: f"{s.co2_grams_per_order:.0f} g",
    ),
    Metric("Orders served", lambda s: float(s.served), lambda s: f"{s.served}/{s.orders}"),
)


def _row(index: int, metric: Metric, current: Summary, alternative: Summary) -> str:
    values = (metric.value(current), metric.value(alternative))
    top = max(values) or 1.0
    y = index * ROW_HEIGHT
    parts = [f'<text x="0" y="{y + 14}" class="title">{escape(metric.title)}</text>']
    for offset, (summary, value, colour, label) in enumerate(
        (
            (current, values[0], CURRENT_COLOUR, "current"),
            (alternative, values[1], ALTERNATIVE_COLOUR, "alternative"),
        )
    ):
        width = max(1.0, BAR_WIDTH * value / top)
        bar_y = y + 20 + offset * 20
        parts.append(
            f'<rect x="90" y="{bar_y}" width="{width:.1f}" height="16" fill="{colour}">'
            f"<title>{label}: {escape(metric.text(summary))}</title></rect>"
        )
        parts.append(f'<text x="0" y="{bar_y + 12}">{label}</text>')
        parts.append(
            f'<text x="{90 + width + 6:.1f}" y="{bar_y + 12}">{escape(metric.text(summary))}</text>'
        )
    return "".join(parts)


def comparison_html(current: Summary, alternative: Summary, title: str) -> str:
    """The page: one pair of bars per metric, current in blue, alternative in orange."""
    height = ROW_HEIGHT * len(METRICS)
    rows = "".join(_row(i, m, current, alternative) for i, m in enumerate(METRICS))
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{BAR_WIDTH + 220}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">'
        "<style>text{font:12px sans-serif}.title{font-weight:bold}</style>"
        f"{rows}</svg>"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body>"
        f'<h1 style="font:bold 18px sans-serif">{escape(title)}</h1>{svg}</body></html>\n'
    )
