"""The trace of a decision, so a console can answer "why this store?"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from omnigraph.domain.money import money_text
from omnigraph.domain.sourcing.costs import CostBreakdown
from omnigraph.domain.sourcing.eligibility import CandidateVerdict, Reason
from omnigraph.domain.sourcing.search import Plan, SearchStats
from omnigraph.domain.vocabulary import DeliveryMethod


class Basis(StrEnum):
    """Why the chosen plan beat the runner-up."""

    ONLY_OPTION = "ONLY_OPTION"
    LOWEST_COST = "LOWEST_COST"
    FEWER_PACKAGES = "FEWER_PACKAGES"
    EARLIER_ARRIVAL = "EARLIER_ARRIVAL"
    SHORTER_DISTANCE = "SHORTER_DISTANCE"
    LOWER_LOCATION_ID = "LOWER_LOCATION_ID"
    MARGIN_RULE = "MARGIN_RULE"
    ALL_BACKORDERED = "ALL_BACKORDERED"


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """A plan as the trace shows it: who sends what, what it costs, when it arrives."""

    location_ids: tuple[int, ...]
    codes: tuple[str, ...]
    quantities: tuple[Mapping[str, int], ...]
    cost: CostBreakdown
    arrives_on: date

    @classmethod
    def of(cls, plan: Plan) -> PlanSummary:
        return cls(
            plan.location_ids,
            tuple(u.source.code for u, _ in plan.parts),
            tuple(dict(q) for _, q in plan.parts),
            plan.cost,
            plan.arrives_on,
        )

    def describe(self) -> str:
        where = " + ".join(self.codes)
        shipping, labour, terms, split, total = self.cost.minors()
        currency = self.cost.currency
        return (
            f"{where}: {money_text(total, currency)} (shipping {money_text(shipping, currency)},"
            f" labour {money_text(labour, currency)}, split {money_text(split, currency)},"
            f" other {money_text(terms, currency)}), arrives {self.arrives_on}"
        )


def basis_between(chosen: Plan, runner_up: Plan | None) -> Basis:
    if runner_up is None:
        return Basis.ONLY_OPTION
    if chosen.total_minor < runner_up.total_minor:
        return Basis.LOWEST_COST
    if chosen.packages < runner_up.packages:
        return Basis.FEWER_PACKAGES
    if chosen.arrives_on < runner_up.arrives_on:
        return Basis.EARLIER_ARRIVAL
    if chosen.distance_m < runner_up.distance_m:
        return Basis.SHORTER_DISTANCE
    return Basis.LOWER_LOCATION_ID


@dataclass(frozen=True, slots=True)
class Explanation:
    """Every candidate with its verdict, the chosen plan and the runner-up, and why.

    ``candidates`` is ordered by distance then location id; a rejected candidate carries
    the first rule it failed (a stable ``Reason`` code) and a human ``detail``.
    """

    channel: str
    method: DeliveryMethod
    candidates: tuple[CandidateVerdict, ...]
    chosen: PlanSummary | None = None
    runner_up: PlanSummary | None = None
    basis: Basis | None = None
    stats: SearchStats | None = None
    # Farther locations holding some of the cart, not screened: the nearest were enough.
    unscreened: int = 0
    # Locations out of the method's reach past the listed ones (see ``eligibility.LISTED``).
    beyond_reach: int = 0
    # Locations not screened: even their cheapest package costs more than the plan found.
    outpriced: int = 0

    def reason_for(self, location_id: int) -> Reason | None:
        """The rejection code of a candidate (``None`` if it was eligible)."""
        for verdict in self.candidates:
            if verdict.location_id == location_id:
                return verdict.reason
        raise KeyError(location_id)

    @property
    def rejected(self) -> tuple[CandidateVerdict, ...]:
        return tuple(v for v in self.candidates if not v.eligible)

    def narrative(self) -> tuple[str, ...]:
        """Lines of plain text for a console."""
        lines: list[str] = []
        if self.chosen is not None:
            lines.append(f"chosen ({self.basis}): {self.chosen.describe()}")
        if self.runner_up is not None:
            lines.append(f"runner-up: {self.runner_up.describe()}")
        lines.extend(
            f"{v.code} ({v.distance_km:.1f} km): {v.reason} - {v.detail}"
            + (f" [{v.rule}]" if v.rule else "")
            for v in self.rejected
        )
        if self.beyond_reach:
            lines.append(f"{self.beyond_reach} more locations beyond the method's reach")
        if self.unscreened:
            lines.append(
                f"{self.unscreened} farther locations not screened: enough nearer ones qualify"
            )
        if self.outpriced:
            lines.append(
                f"{self.outpriced} locations not screened: even their cheapest package costs"
                " more than sending the whole cart from one that qualifies"
            )
        return tuple(lines)
