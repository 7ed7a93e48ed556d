"""Carrier rate tables: a price and transit time from distance zone, weight and service."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from omnigraph.domain.money import Money


@dataclass(frozen=True, slots=True)
class ServiceTariff:
    """One service level's prices and transit days; lists are indexed by zone."""

    code: str
    base_minor: Sequence[int]
    per_kg_minor: Sequence[int]
    transit_days: Sequence[int]
    max_distance_km: float | None = None


@dataclass(frozen=True, slots=True)
class RateQuote:
    service: str
    price: Money
    transit_business_days: int
    zone: int
    billable_kg: int


@dataclass(frozen=True, slots=True)
class RateTable:
    """Zones are bands of distance: zone ``i`` covers up to ``zone_limits_km[i]`` km.

    Weight is billed per started kilogram, with a one-kilogram minimum, the way parcel
    carriers bill actual weight.
    """

    currency: str
    zone_limits_km: Sequence[float]
    services: Mapping[str, ServiceTariff]
    max_weight_grams: int = 68_000

    def __post_init__(self) -> None:
        zones = len(self.zone_limits_km)
        if list(self.zone_limits_km) != sorted(self.zone_limits_km):
            raise ValueError("zone limits must be ascending")
        for tariff in self.services.values():
            for column in (tariff.base_minor, tariff.per_kg_minor, tariff.transit_days):
                if len(column) != zones:
                    raise ValueError(f"service {tariff.code} needs one value per zone ({zones})")

    def zone_for(self, distance_km: float) -> int | None:
        for index, limit in enumerate(self.zone_limits_km):
            if distance_km <= limit:
                return index
        return None

    def price_line(self, service: str, distance_km: float) -> tuple[int, int] | None:
        """The price of a parcel over this distance as ``(base, per_kg)``: it costs
        ``base + per_kg * billable_kg`` (up to ``max_weight_grams``); None when the service is
        unknown or does not reach that far. ``quote`` prices by it."""
        tariff = self.services.get(service)
        zone = self.zone_for(distance_km)
        if tariff is None or zone is None:
            return None
        if tariff.max_distance_km is not None and distance_km > tariff.max_distance_km:
            return None
        return tariff.base_minor[zone], tariff.per_kg_minor[zone]

    def quote(self, service: str, distance_km: float, weight_grams: int) -> RateQuote | None:
        """None when the service is unknown, the distance is beyond the last zone, or too heavy."""
        line = self.price_line(service, distance_km)
        if line is None or weight_grams > self.max_weight_grams:
            return None
        zone = self.zone_for(distance_km)
        assert zone is not None  # ``price_line`` found one
        tariff = self.services[service]
        billable_kg = max(1, math.ceil(weight_grams / 1000))
        price = line[0] + line[1] * billable_kg
        return RateQuote(
            service=service,
            price=Money(price, self.currency),
            transit_business_days=tariff.transit_days[zone],
            zone=zone,
            billable_kg=billable_kg,
        )


def us_ground_and_express(currency: str = "USD") -> RateTable:
    """A table shaped like US parcel zones 2-8 (by distance from origin)."""
    return RateTable(
        currency=currency,
        zone_limits_km=(80, 240, 480, 970, 1450, 2400, 5000),
        services={
            "GROUND": ServiceTariff(
                "GROUND",
                base_minor=(695, 745, 795, 875, 950, 1045, 1150),
                per_kg_minor=(55, 70, 90, 115, 140, 165, 195),
                transit_days=(1, 2, 2, 3, 4, 5, 5),
            ),
            "EXPRESS": ServiceTariff(
                "EXPRESS",
                base_minor=(1495, 1695, 1895, 2195, 2495, 2795, 3195),
                per_kg_minor=(150, 185, 225, 270, 320, 380, 450),
                transit_days=(1, 1, 1, 1, 2, 2, 2),
            ),
            "LOCAL_COURIER": ServiceTariff(
                "LOCAL_COURIER",
                base_minor=(999, 1499, 1499, 1499, 1499, 1499, 1499),
                per_kg_minor=(50, 75, 75, 75, 75, 75, 75),
                transit_days=(0, 0, 0, 0, 0, 0, 0),
                max_distance_km=80,
            ),
        },
    )
