"""Distribution centres, stores and dark stores placed in real cities.

Stores open first in distinct cities, bigger metros more likely first; once every city has
one, further stores open in suburbs around cities chosen by the same weights. Ids run over
distribution centres, then stores, then dark stores.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from omnigraph.demo.cities import (
    CITIES,
    DC_HUBS,
    City,
    Site,
    city_named,
    display_name,
    suburb,
)
from omnigraph.demo.holidays import iso_days, store_holidays, warehouse_holidays
from omnigraph.demo.rows import LocationRow
from omnigraph.domain.vocabulary import Capability, LocationType

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Hours = dict[str, list[list[str]]]


def _hours(
    weekday: tuple[str, str], saturday: tuple[str, str] | None, sunday: tuple[str, str] | None
) -> Hours:
    hours = {day: [list(weekday)] for day in _DAYS[:5]}
    if saturday is not None:
        hours["sat"] = [list(saturday)]
    if sunday is not None:
        hours["sun"] = [list(sunday)]
    return hours


STORE_HOURS = _hours(("09:00", "21:00"), ("09:00", "21:00"), ("10:00", "18:00"))
DC_HOURS = _hours(("06:00", "22:00"), ("06:00", "22:00"), None)
DARK_STORE_HOURS = _hours(("07:00", "23:00"), ("07:00", "23:00"), ("07:00", "23:00"))

RETAIL_STREETS = (
    "Main St",
    "Market St",
    "Broadway",
    "Commerce St",
    "Elm St",
    "Oak Ave",
    "Maple Ave",
    "Park Ave",
    "Washington St",
    "Lincoln Ave",
    "Center St",
    "Grand Ave",
    "Union St",
    "Church St",
    "Mill St",
    "Lake St",
    "Highland Ave",
    "Franklin St",
    "Jefferson Ave",
    "Riverside Dr",
)
INDUSTRIAL_STREETS = (
    "Logistics Pkwy",
    "Distribution Dr",
    "Commerce Center Blvd",
    "Industrial Pkwy",
    "Freight Way",
    "Enterprise Dr",
    "Gateway Blvd",
    "Intermodal Dr",
    "Trade Center Dr",
    "Warehouse Rd",
)


@dataclass(frozen=True, slots=True)
class LocationCounts:
    distribution_centres: int
    stores: int
    dark_stores: int


def _city_weight(city: City) -> float:
    # Square root: big metros get more stores, but a national chain still reaches mid-size towns.
    return math.sqrt(city.metro_k)


def _weighted_order(rng: random.Random, cities: Sequence[City]) -> list[City]:
    """A weighted random permutation (Efraimidis-Spirakis keys: u ** (1 / weight))."""
    keys = [rng.random() ** (1.0 / _city_weight(city)) for city in cities]
    return [cities[index] for index in sorted(range(len(cities)), key=lambda i: -keys[i])]


def _slug(text: str) -> str:
    return "-".join(text.upper().replace(".", "").split())


class _Builder:
    """Hands out ids and per-city ordinals ("Denver North #3") while rows are made."""

    def __init__(self, rng: random.Random, holiday_years: Sequence[int], currency: str) -> None:
        self.rng = rng
        self.currency = currency
        self.rows: list[LocationRow] = []
        self.per_city: Counter[tuple[str, str]] = Counter()
        self.store_holidays = iso_days([d for y in holiday_years for d in store_holidays(y)])
        self.dc_holidays = iso_days([d for y in holiday_years for d in warehouse_holidays(y)])

    def ordinal(self, city: City) -> int:
        self.per_city[(city.name, city.state)] += 1
        return self.per_city[(city.name, city.state)]

    def street(self, streets: Sequence[str]) -> str:
        number = self.rng.randrange(100, 9800)
        return f"{number} {self.rng.choice(streets)}"

    def add(
        self,
        site: Site,
        *,
        code: str,
        name: str,
        kind: LocationType,
        address_line1: str,
        address_line2: str | None,
        opening_hours: Hours,
        holidays: tuple[str, ...],
        capabilities: set[Capability],
        cutoff_time: str,
        processing_minutes: int,
        pick_cost_minor: int,
        daily_capacity: int,
    ) -> None:
        city = site.city
        self.rows.append(
            LocationRow(
                id=len(self.rows) + 1,
                code=code,
                name=name,
                type=kind.value,
                address_line1=address_line1,
                address_line2=address_line2,
                city=city.name,
                region=city.state,
                postal_code=city.postal_code,
                country="US",
                latitude=site.latitude,
                longitude=site.longitude,
                timezone=city.timezone,
                opening_hours=opening_hours,
                holidays=holidays,
                capabilities=tuple(c.value for c in Capability if c in capabilities),
                cutoff_time=cutoff_time,
                processing_minutes=processing_minutes,
                pick_cost_minor=pick_cost_minor,
                currency=self.currency,
                daily_capacity=daily_capacity,
            )
        )


def _distribution_centres(builder: _Builder, count: int) -> None:
    rng = builder.rng
    for index in range(count):
        city = city_named(DC_HUBS[index % len(DC_HUBS)])
        ordinal = builder.ordinal(city)
        round_ = index // len(DC_HUBS)
        # Distribution centres sit on cheap land by the interstate, well outside downtown.
        site = suburb(city, rng, 10.0, 30.0)
        builder.add(
            site,
            code=f"DC-{_slug(city.name)}" + (f"-{round_ + 1}" if round_ else ""),
            name=f"{city.name} Distribution Centre" + (f" #{ordinal}" if round_ else ""),
            kind=LocationType.DC,
            address_line1=builder.street(INDUSTRIAL_STREETS),
            address_line2=None,
            opening_hours=DC_HOURS,
            holidays=builder.dc_holidays,
            capabilities={Capability.SHIP, Capability.RETURNS},
            cutoff_time="17:00",
            processing_minutes=240,
            pick_cost_minor=rng.randrange(60, 115, 5),
            daily_capacity=rng.randrange(15_000, 30_001, 1_000),
        )


def _store(builder: _Builder, number: int, site: Site, name: str) -> None:
    rng = builder.rng
    capabilities = {Capability.SHIP, Capability.PICKUP, Capability.RETURNS}
    # Most stores have the parking bays for curbside; downtown ones sometimes do not.
    if rng.random() < 0.8:
        capabilities.add(Capability.CURBSIDE)
    if site.city.is_big_metro:
        capabilities.add(Capability.SAME_DAY)
    builder.add(
        site,
        code=f"ST-{number:04d}",
        name=name,
        kind=LocationType.STORE,
        address_line1=builder.street(RETAIL_STREETS),
        address_line2=f"Unit {rng.randrange(1, 60)}" if rng.random() < 0.3 else None,
        opening_hours=STORE_HOURS,
        holidays=builder.store_holidays,
        capabilities=capabilities,
        cutoff_time="14:00",
        processing_minutes=rng.choice((90, 105, 120)),
        pick_cost_minor=rng.randrange(250, 476, 25),
        daily_capacity=rng.randrange(150, 451, 25),
    )


def _stores(builder: _Builder, count: int) -> None:
    rng = builder.rng
    order = _weighted_order(rng, CITIES)
    weights = [_city_weight(city) for city in CITIES]
    for number in range(1, count + 1):
        if number <= len(order):
            city = order[number - 1]
            builder.ordinal(city)
            # A downtown store stands a block or two from the city's reference point.
            _store(builder, number, suburb(city, rng, 0.3, 2.0), f"{display_name(city)} Downtown")
        else:
            city = rng.choices(CITIES, weights=weights)[0]
            site = suburb(city, rng)
            name = f"{display_name(city)} {site.direction} #{builder.ordinal(city)}"
            _store(builder, number, site, name)


def _dark_stores(builder: _Builder, count: int) -> None:
    rng = builder.rng
    metros = _weighted_order(rng, [city for city in CITIES if city.is_big_metro])
    for number in range(1, count + 1):
        city = metros[(number - 1) % len(metros)]
        site = suburb(city, rng, 4.0, 15.0)
        builder.add(
            site,
            code=f"DS-{number:04d}",
            name=f"{display_name(city)} {site.direction} Dark Store #{builder.ordinal(city)}",
            kind=LocationType.DARK_STORE,
            address_line1=builder.street(INDUSTRIAL_STREETS),
            address_line2=None,
            opening_hours=DARK_STORE_HOURS,
            holidays=builder.store_holidays,
            capabilities={Capability.SHIP, Capability.SAME_DAY},
            cutoff_time="18:00",
            processing_minutes=rng.choice((30, 45)),
            pick_cost_minor=rng.randrange(140, 226, 5),
            daily_capacity=rng.randrange(600, 1_201, 50),
        )


def generate_locations(
    rng: random.Random, counts: LocationCounts, holiday_years: Sequence[int], currency: str = "USD"
) -> list[LocationRow]:
    """Every location of the network, with ids from 1 in the order DCs, stores, dark stores."""
    builder = _Builder(rng, holiday_years, currency)
    _distribution_centres(builder, counts.distribution_centres)
    _stores(builder, counts.stores)
    _dark_stores(builder, counts.dark_stores)
    return builder.rows
