"""Builders shared by the sourcing tests, and a check that they build what the tests assume."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime

from omnigraph.domain.calendar import LocationSchedule
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.money import Money
from omnigraph.domain.promise import Candidate, EligibilityRule
from omnigraph.domain.rating import RateTable, us_ground_and_express
from omnigraph.domain.sourcing import (
    CostTerm,
    IncomingSupply,
    NoPlan,
    PickLabour,
    SourcingCandidate,
    SourcingDecision,
    SourcingRequest,
    SourcingRules,
    decide,
)
from omnigraph.domain.vocabulary import Capability, DeliveryMethod, LocationType

# Wednesday 8 May 2024, 09:00 in Chicago: before the 15:00 cut-off, a working day.
NOW = datetime(2024, 5, 8, 14, 0, tzinfo=UTC)
TODAY = date(2024, 5, 8)
SCHEDULE = LocationSchedule.from_config(
    "America/Chicago",
    {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
    cutoff="15:00",
    processing_minutes=60,
)
ALL = frozenset(Capability)
RATES: RateTable = us_ground_and_express()
WEIGHTS: Mapping[str, int] = {"A": 500, "B": 1500, "C": 300, "D": 2000}


def usd(amount: str) -> Money:
    return Money.from_decimal(amount, "USD")


def loc(
    location_id: int,
    km: float,
    stock: Mapping[str, int],
    *,
    kind: LocationType = LocationType.STORE,
    capabilities: Iterable[Capability] = ALL,
    labour: PickLabour | None = None,
    orders_today: int = 0,
    capacity: int | None = None,
    incoming: Sequence[IncomingSupply] = (),
    schedule: LocationSchedule = SCHEDULE,
) -> SourcingCandidate:
    return SourcingCandidate(
        Candidate(
            location_id,
            f"{kind.value}-{location_id}",
            kind,
            GeoPoint(41.88, -87.63),
            frozenset(capabilities),
            schedule,
            km,
            dict(stock),
        ),
        labour=labour,
        orders_today=orders_today,
        daily_capacity=capacity,
        incoming=tuple(incoming),
    )


def per_unit(amount: str) -> PickLabour:
    return PickLabour(usd("0"), usd(amount))


def request(
    candidates: Sequence[SourcingCandidate],
    lines: Mapping[str, int] | None = None,
    *,
    method: DeliveryMethod = DeliveryMethod.SHIP_STANDARD,
    channel: str = "WEB",
    now: datetime = NOW,
    only: int | None = None,
) -> SourcingRequest:
    return SourcingRequest(
        channel=channel,
        method=method,
        lines=dict(lines or {"A": 1}),
        candidates=list(candidates),
        now=now,
        weights_grams=WEIGHTS,
        only_location_id=only,
    )


def run(
    candidates: Sequence[SourcingCandidate],
    lines: Mapping[str, int] | None = None,
    *,
    rules: SourcingRules | None = None,
    filters: Sequence[EligibilityRule] = (),
    cost_terms: Sequence[CostTerm] = (),
    **kwargs: object,
) -> SourcingDecision | NoPlan:
    return decide(
        request(candidates, lines, **kwargs),  # type: ignore[arg-type]
        rules or SourcingRules(),
        rates=RATES,
        filters=filters,
        cost_terms=cost_terms,
    )


def decided(result: SourcingDecision | NoPlan) -> SourcingDecision:
    assert isinstance(result, SourcingDecision), result
    return result


def refused(result: SourcingDecision | NoPlan) -> NoPlan:
    assert isinstance(result, NoPlan), result
    return result


def ground_minor(km: float, grams: int) -> int:
    quote = RATES.quote("GROUND", km, grams)
    assert quote is not None
    return quote.price.minor


def test_the_builders_describe_a_working_wednesday_morning_in_chicago():
    local = NOW.astimezone(SCHEDULE.zone)
    assert local.date() == TODAY and local.weekday() == 2
    assert local.time() < SCHEDULE.cutoff and SCHEDULE.is_open(NOW)
    decision = decided(run([loc(1, 10, {"A": 1})]))
    assert decision.location_ids == (1,)
