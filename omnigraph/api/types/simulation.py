"""What-if sourcing results: two rule sets side by side, and order by order."""

import strawberry

from omnigraph.api.types.common import DeliveryMethod, Money
from omnigraph.domain.sourcing.simulation import Outcome, Summary
from omnigraph.services import simulation


@strawberry.input(description="Orders to replay and the rules to compare with the current ones.")
class SimulateSourcingInput:
    alternative_rules: str = strawberry.field(
        description="The alternative rule set, written like the rules file's sourcing sections "
        "([[sourcing]], [[sourcing_exclusion]], [sourcing_margin]); what it leaves out takes "
        "the defaults."
    )
    order_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Captured orders to replay; omitted: a generated sample."
    )
    sample_size: int | None = strawberry.field(
        default=None, description="Carts in the generated sample (default 200, at most 2000)."
    )
    seed: int = strawberry.field(default=7, description="The same seed draws the same sample.")


@strawberry.type(description="One rule set's results; averages are over the orders it served.")
class SimulationSummary:
    orders: int
    served: int
    total_cost: Money
    cost_per_order: Money
    packages_per_order: float
    split_rate: float = strawberry.field(description="Share of served orders sent in 2+ boxes.")
    average_distance_km: float = strawberry.field(description="Per package.")
    sla_share: float = strawberry.field(
        description="Share of all orders delivered within the current rules' SLA (or the "
        "reference: standard 5, express 2, same day 0, collection 1 business days)."
    )
    co2_grams_per_order: float

    @classmethod
    def of(cls, summary: Summary) -> "SimulationSummary":
        return cls(
            orders=summary.orders,
            served=summary.served,
            total_cost=Money.of(summary.total_cost),
            cost_per_order=Money.of(summary.cost_per_order),
            packages_per_order=round(summary.packages_per_order, 4),
            split_rate=round(summary.split_rate, 4),
            average_distance_km=round(summary.average_distance_km, 3),
            sla_share=round(summary.sla_share, 4),
            co2_grams_per_order=round(summary.co2_grams_per_order, 1),
        )


@strawberry.type
class SimulatedOutcome:
    served: bool
    cost: Money | None
    packages: int
    distance_km: float
    sla_met: bool
    co2_grams: float
    location_codes: list[str]
    refusal: str | None = strawberry.field(description="Why it could not be served.")

    @classmethod
    def of(cls, outcome: Outcome, codes: dict[int, str]) -> "SimulatedOutcome":
        return cls(
            served=outcome.served,
            cost=Money.of(outcome.cost) if outcome.cost is not None else None,
            packages=outcome.packages,
            distance_km=round(outcome.distance_km, 3),
            sla_met=outcome.sla_met,
            co2_grams=round(outcome.co2_grams, 1),
            location_codes=[codes[i] for i in outcome.location_ids],
            refusal=outcome.refusal,
        )


@strawberry.type
class SimulatedOrder:
    reference: str
    channel: str
    method: DeliveryMethod  # type: ignore[valid-type]
    current: SimulatedOutcome
    alternative: SimulatedOutcome


@strawberry.type(description="The same orders sourced under the current and the alternative rules.")
class SourcingSimulation:
    current: SimulationSummary
    alternative: SimulationSummary
    orders: list[SimulatedOrder]
    co2_grams_per_kg_km: float = strawberry.field(
        description="The CO2 estimate's factor: grams per kilogram carried one kilometre."
    )

    @classmethod
    def of(cls, report: simulation.SimulationReport) -> "SourcingSimulation":
        codes = dict(report.location_codes)
        return cls(
            current=SimulationSummary.of(report.current),
            alternative=SimulationSummary.of(report.alternative),
            orders=[
                SimulatedOrder(
                    reference=c.order.reference,
                    channel=c.order.channel,
                    method=DeliveryMethod(c.order.method),
                    current=SimulatedOutcome.of(c.current, codes),
                    alternative=SimulatedOutcome.of(c.alternative, codes),
                )
                for c in report.orders
            ],
            co2_grams_per_kg_km=report.co2_grams_per_kg_km,
        )
