"""What-if simulation: replay orders against two rule sets and compare the outcomes.

Pure bookkeeping around ``decide``: a stock ledger that the replayed orders draw down (a
copy; real stock never changes), one ``Outcome`` per order and rule set, and the summary
planners compare side by side.

Estimated CO2 is ``weight (kg) x distance (km) x CO2_GRAMS_PER_KG_KM`` per package, the
straight-line distance from the sending location to the customer (or, for collection,
from the customer to the store they visit). The factor, 0.5 g CO2e per kilogram-kilometre
(500 g per tonne-kilometre), is the order of magnitude of published averages for parcel
delivery by diesel van (e.g. the UK government's DEFRA conversion factors for average
laden vans); it is an estimate for comparing rule sets, not an emissions report.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from omnigraph.domain.calendar import add_business_days
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.money import Money
from omnigraph.domain.sourcing.decision import NoPlan, SourcingDecision
from omnigraph.domain.sourcing.rules import SourcingRules
from omnigraph.domain.vocabulary import DeliveryMethod

CO2_GRAMS_PER_KG_KM = 0.5
# The yardstick for "meets the SLA" when the current rules promise no date for a method:
# business days from the order day to delivery (or to being ready for collection).
REFERENCE_SLA_DAYS: Mapping[DeliveryMethod, int] = {
    DeliveryMethod.SHIP_STANDARD: 5,
    DeliveryMethod.SHIP_EXPRESS: 2,
    DeliveryMethod.SAME_DAY: 0,
    DeliveryMethod.PICKUP: 1,
    DeliveryMethod.CURBSIDE: 1,
}


@dataclass(frozen=True, slots=True)
class SimulatedOrder:
    """An order to replay: a captured one, or one drawn for a sample."""

    reference: str
    channel: str
    method: DeliveryMethod
    lines: Mapping[str, int]
    destination: GeoPoint
    pickup_location_id: int | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """One order under one rule set."""

    served: bool
    cost: Money | None
    packages: int
    distance_km: float
    sla_met: bool
    co2_grams: float
    location_ids: tuple[int, ...] = ()
    refusal: str | None = None


def outcome_of(
    result: SourcingDecision | NoPlan,
    weights_grams: Mapping[str, int],
    sla_by: date,
) -> Outcome:
    """What a decision means for the report; waiting for supply counts as missing the SLA."""
    if isinstance(result, NoPlan):
        return Outcome(False, None, 0, 0.0, False, 0.0, (), result.reason.value)
    distance = 0.0
    co2 = 0.0
    for package in result.packages:
        kilograms = sum(weights_grams.get(s, 0) * q for s, q in package.quantities.items()) / 1000
        distance += package.source.distance_km
        co2 += kilograms * package.source.distance_km * CO2_GRAMS_PER_KG_KM
    window = result.window
    on_time = not result.backorders and window is not None and window.latest <= sla_by
    return Outcome(
        True,
        result.cost.total,
        len(result.packages),
        distance,
        on_time,
        co2,
        result.location_ids,
    )


def sla_deadline(rules: SourcingRules, channel: str, method: DeliveryMethod, today: date) -> date:
    """The date an order of today must arrive by to count as meeting the SLA."""
    days = rules.policy_for(channel, method).promise_business_days
    return add_business_days(today, REFERENCE_SLA_DAYS[method] if days is None else days)


@dataclass(frozen=True, slots=True)
class Summary:
    """One rule set's results over all replayed orders (averages over served orders)."""

    orders: int
    served: int
    total_cost: Money
    cost_per_order: Money
    packages_per_order: float
    split_rate: float
    average_distance_km: float
    sla_share: float
    co2_grams_per_order: float


def summarise(outcomes: Sequence[Outcome], currency: str) -> Summary:
    served = [o for o in outcomes if o.served]
    count = len(served)
    total = sum((o.cost.minor for o in served if o.cost is not None), 0)
    packages = sum(o.packages for o in served)
    return Summary(
        orders=len(outcomes),
        served=count,
        total_cost=Money(total, currency),
        cost_per_order=Money(round(total / count) if count else 0, currency),
        packages_per_order=packages / count if count else 0.0,
        split_rate=sum(1 for o in served if o.packages > 1) / count if count else 0.0,
        average_distance_km=sum(o.distance_km for o in served) / packages if packages else 0.0,
        sla_share=sum(1 for o in outcomes if o.sla_met) / len(outcomes) if outcomes else 0.0,
        co2_grams_per_order=sum(o.co2_grams for o in served) / count if count else 0.0,
    )


@dataclass
class StockLedger:
    """Available units per location and SKU, drawn down as replayed orders are sourced."""

    stock: dict[int, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def of(cls, stock: Mapping[int, Mapping[str, int]]) -> StockLedger:
        return cls({location: dict(units) for location, units in stock.items()})

    def holders(self, skus: Iterable[str]) -> list[int]:
        wanted = set(skus)
        return sorted(
            location
            for location, units in self.stock.items()
            if any(units.get(sku, 0) > 0 for sku in wanted)
        )

    def take(self, decision: SourcingDecision) -> None:
        for package in decision.packages:
            units = self.stock[package.source.location_id]
            for sku, quantity in package.quantities.items():
                units[sku] -= quantity


def sample_orders(
    skus: Sequence[str],
    points: Sequence[GeoPoint],
    size: int,
    seed: int,
    *,
    channel: str = "WEB",
    methods: Sequence[DeliveryMethod] = (DeliveryMethod.SHIP_STANDARD,),
    spread_km: float = 40.0,
) -> list[SimulatedOrder]:
    """``size`` carts of 1-3 lines (1-2 units each) to points scattered around ``points``.

    Deterministic for a seed. Destinations fall within about ``spread_km`` of a randomly
    chosen point (a store's city), where customers are.
    """
    if not skus or not points or size <= 0:
        return []
    draw = random.Random(seed)
    degrees = spread_km / 111.0
    orders: list[SimulatedOrder] = []
    for index in range(size):
        chosen = draw.sample(list(skus), k=min(len(skus), draw.randint(1, 3)))
        centre = draw.choice(list(points))
        latitude = max(-89.0, min(89.0, centre.latitude + draw.uniform(-degrees, degrees)))
        longitude = max(-179.0, min(179.0, centre.longitude + draw.uniform(-degrees, degrees)))
        orders.append(
            SimulatedOrder(
                reference=f"SAMPLE-{index + 1:05d}",
                channel=channel,
                method=draw.choice(list(methods)),
                lines={sku: draw.randint(1, 2) for sku in sorted(chosen)},
                destination=GeoPoint(latitude, longitude),
            )
        )
    return orders


Replay = Callable[[SimulatedOrder, StockLedger], SourcingDecision | NoPlan]


def replay(
    orders: Sequence[SimulatedOrder],
    decide_one: Replay,
    ledger: StockLedger,
    weights_grams: Mapping[str, int],
    deadline: Callable[[SimulatedOrder], date],
    progress: Callable[[], None] | None = None,
) -> list[Outcome]:
    """Source every order in turn against the ledger, drawing it down as orders are served."""
    outcomes: list[Outcome] = []
    for order in orders:
        result = decide_one(order, ledger)
        if isinstance(result, SourcingDecision):
            ledger.take(result)
        outcomes.append(outcome_of(result, weights_grams, deadline(order)))
        if progress is not None:
            progress()
    return outcomes
