"""What a plan costs: carrier shipping, pick labour, split penalties and plugin cost terms."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeGuard

from omnigraph.domain.money import Money
from omnigraph.domain.promise import CARRIER_SERVICE
from omnigraph.domain.rating import RateTable
from omnigraph.domain.sourcing.request import SourcingCandidate
from omnigraph.domain.vocabulary import DeliveryMethod


@dataclass(frozen=True, slots=True)
class PlannedPackage:
    """One location's share of a plan: what it picks and how heavy the box is."""

    source: SourcingCandidate
    quantities: Mapping[str, int]
    weight_grams: int


@dataclass(frozen=True, slots=True)
class CostContext:
    channel: str
    method: DeliveryMethod
    currency: str


class CostTerm(Protocol):
    """An extra, pure cost of sending a package (contributed by plugins).

    The search's pruning bound assumes terms are never negative; a negative term (a discount)
    is added to the total but may not be found by a pruned search.
    """

    name: str

    def cost(self, package: PlannedPackage, context: CostContext) -> Money:
        """The term's cost for this package, in ``context.currency``."""
        ...


def is_cost_term(item: object) -> TypeGuard[CostTerm]:
    """Whether a plugin's sourcing contribution is a cost term (a callable ``cost``)."""
    return callable(getattr(item, "cost", None))


@dataclass(frozen=True, slots=True)
class PackageCost:
    location_id: int
    service: str | None
    shipping: Money
    labour: Money
    terms: tuple[tuple[str, Money], ...] = ()

    @property
    def total_minor(self) -> int:
        return self.shipping.minor + self.labour.minor + sum(a.minor for _, a in self.terms)

    @property
    def total(self) -> Money:
        return Money(self.total_minor, self.shipping.currency)


@dataclass(frozen=True, slots=True)
class CostBreakdown:
    """A plan's cost, package by package, plus the penalty for splitting."""

    packages: tuple[PackageCost, ...]
    split_penalty: Money

    @property
    def currency(self) -> str:
        return self.split_penalty.currency

    def minors(self) -> tuple[int, int, int, int, int]:
        """(shipping, labour, terms, split penalty, total) in minor units, without a
        ``Money`` each: what a decision's trace shows of every plan it lists."""
        shipping = labour = terms = 0
        for package in self.packages:
            shipping += package.shipping.minor
            labour += package.labour.minor
            for _, amount in package.terms:
                terms += amount.minor
        split = self.split_penalty.minor
        return shipping, labour, terms, split, shipping + labour + terms + split

    @property
    def shipping(self) -> Money:
        return Money(sum(p.shipping.minor for p in self.packages), self.currency)

    @property
    def labour(self) -> Money:
        return Money(sum(p.labour.minor for p in self.packages), self.currency)

    @property
    def terms(self) -> Money:
        minor = sum(a.minor for p in self.packages for _, a in p.terms)
        return Money(minor, self.currency)

    @property
    def total(self) -> Money:
        minor = sum(p.total_minor for p in self.packages) + self.split_penalty.minor
        return Money(minor, self.currency)


class Pricer:
    """Prices packages for one decision, caching carrier quotes per location and kilogram.

    Carriers bill per started kilogram, so a quote only depends on the billable kilograms;
    the greedy search asks for the same ones many times.
    """

    def __init__(
        self,
        rates: RateTable,
        method: DeliveryMethod,
        context: CostContext,
        weights_grams: Mapping[str, int],
        terms: Sequence[CostTerm],
    ) -> None:
        self.rates = rates
        self.method = method
        self.context = context
        self.weights = weights_grams
        self.terms = tuple(terms)
        self._collection = method.is_collection
        self.service = None if self._collection else CARRIER_SERVICE.get(method)
        # Quotes by location and billable kilograms, one integer key each
        # (``location_id * _stride + kilograms``: kilograms are below the stride).
        self._quotes: dict[int, int | None] = {}
        self._heaviest = -1 if self.service is None else rates.max_weight_grams
        self._stride = rates.max_weight_grams // 1000 + 2
        self._transit: dict[int, int | None] = {}
        self._bands: dict[tuple[int | None, bool, int], tuple[int | None, int | None]] = {}
        # Location id -> its zone and whether the service reaches it.
        self._places: dict[int, tuple[int | None, bool]] = {}
        self._lines: dict[int, tuple[int, int, float] | None] = {}
        self._floors: dict[int, int | None] = {}

    def weight_of(self, quantities: Mapping[str, int]) -> int:
        return sum(self.weights.get(sku, 0) * qty for sku, qty in quantities.items())

    def shipping_minor(self, source: SourcingCandidate, weight_grams: int) -> int | None:
        """Carrier price in minor units; None when no service reaches or the box is too heavy."""
        if self._collection:
            return 0
        if weight_grams > self._heaviest:
            return None
        # Billed per started kilogram, one at least; integer arithmetic and an integer key
        # (the screening and the search ask this thousands of times per decision).
        kilograms = (weight_grams + 999) // 1000 or 1
        key = source.candidate.location_id * self._stride + kilograms
        quotes = self._quotes
        if key in quotes:
            return quotes[key]
        # A quote depends on the distance only through its zone and the service's reach,
        # so locations in the same band share it; a location's band is found once.
        distance = source.distance_km
        place = self._places.get(source.candidate.location_id)
        if place is None:
            tariff = self.rates.services.get(self.service) if self.service is not None else None
            limit = None if tariff is None else tariff.max_distance_km
            place = (self.rates.zone_for(distance), limit is None or distance <= limit)
            self._places[source.candidate.location_id] = place
        band = (*place, kilograms)
        found = self._bands.get(band)
        if found is None:
            assert self.service is not None  # else ``_heaviest`` turned every weight away
            quote = self.rates.quote(self.service, distance, weight_grams)
            if quote is None:
                found = (None, None)
            else:
                found = (quote.price.minor, quote.transit_business_days)
            self._bands[band] = found
        quotes[key] = found[0]
        # The zone, hence the transit time, depends on distance alone (the weight is
        # within the table's limit here), so this quote answers ``transit_days`` too.
        self._transit.setdefault(source.location_id, found[1])
        return found[0]

    def price_line(self, source: SourcingCandidate) -> tuple[int, int, float] | None:
        """``(base, per_kg, heaviest)``: from this location a package of up to ``heaviest``
        grams ships for ``base + per_kg * billable_kg``, as ``shipping_minor`` prices it;
        None when no service reaches. Once per location and decision: many parts of a cart
        are priced from one location, and a call each would cost more than the arithmetic.
        """
        location_id = source.candidate.location_id
        lines = self._lines
        if location_id in lines:
            return lines[location_id]
        found: tuple[int, int, float] | None
        if self._collection:
            found = (0, 0, math.inf)
        elif self.service is None:
            found = None
        else:
            line = self.rates.price_line(self.service, source.distance_km)
            found = None if line is None else (*line, self.rates.max_weight_grams)
        lines[location_id] = found
        return found

    def transit_days(self, source: SourcingCandidate) -> int | None:
        """Carrier business days from this location; zones depend on distance, not weight."""
        if self.service is None:
            return None
        transit = self._transit
        if source.location_id not in transit:
            quote = self.rates.quote(self.service, source.distance_km, 0)
            transit[source.location_id] = None if quote is None else quote.transit_business_days
        return transit[source.location_id]

    def labour_minor(self, source: SourcingCandidate, lines: int, units: int) -> int:
        if source.labour is None:
            return 0
        return source.labour.per_line.minor * lines + source.labour.per_unit.minor * units

    def floor_minor(self, source: SourcingCandidate) -> int | None:
        """The least any package from this location can cost: one unit, one kilogram."""
        location_id = source.candidate.location_id
        floors = self._floors
        if location_id in floors:
            return floors[location_id]
        shipping = self.shipping_minor(source, 0)
        floor = None if shipping is None else shipping + self.labour_minor(source, 1, 1)
        # The screening asks twice for most locations it looks at (before and in the checks).
        floors[location_id] = floor
        return floor

    def slope_minor(self, source: SourcingCandidate) -> int:
        """What one more billable kilogram costs from this location (0 when unknown).

        Rate tables price ``base + per_kg * kilograms``, so this is a lower bound on the
        cost of every kilogram after the first, used by the search's bound.
        """
        one, two = self.shipping_minor(source, 1000), self.shipping_minor(source, 2000)
        return 0 if one is None or two is None else max(0, two - one)

    def unit_minor(self, source: SourcingCandidate) -> int:
        return 0 if source.labour is None else source.labour.per_unit.minor

    def line_minor(self, source: SourcingCandidate) -> int:
        return 0 if source.labour is None else source.labour.per_line.minor

    def package(
        self, source: SourcingCandidate, quantities: Mapping[str, int]
    ) -> PackageCost | None:
        weight = self.weight_of(quantities)
        shipping = self.shipping_minor(source, weight)
        if shipping is None:
            return None
        currency = self.context.currency
        planned = PlannedPackage(source, quantities, weight)
        return PackageCost(
            location_id=source.location_id,
            service=self.service,
            shipping=Money(shipping, currency),
            labour=source.labour_cost(len(quantities), sum(quantities.values()), currency),
            terms=tuple((term.name, term.cost(planned, self.context)) for term in self.terms),
        )
