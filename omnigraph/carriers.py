"""The carrier provider protocol and the values it exchanges with the core."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.money import Money


@dataclass(frozen=True, slots=True)
class RateRequest:
    origin: GeoPoint
    origin_postal_code: str
    destination: GeoPoint
    destination_postal_code: str | None
    weight_grams: int
    services: Sequence[str]
    currency: str


@dataclass(frozen=True, slots=True)
class RateOffer:
    carrier: str
    service: str
    price: Money
    transit_business_days: int


@dataclass(frozen=True, slots=True)
class LabelRequest:
    shipment_reference: str
    service: str
    origin: GeoPoint
    origin_postal_code: str
    destination: GeoPoint
    destination_postal_code: str | None
    weight_grams: int
    currency: str


@dataclass(frozen=True, slots=True)
class Label:
    carrier: str
    service: str
    tracking_number: str
    label_url: str
    cost: Money


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    status: str
    occurred_at: datetime
    description: str
    location: str | None = None


@runtime_checkable
class Carrier(Protocol):
    """What a carrier plugin hands back from ``omnigraph_carriers``; the I/O is async here."""

    code: str
    name: str

    async def rates(self, request: RateRequest) -> list[RateOffer]:
        """Offers for the requested services; an empty list when none applies."""
        ...

    async def buy_label(self, request: LabelRequest) -> Label:
        """Buy a label; raise ``CarrierError`` when the carrier refuses."""
        ...

    async def track(self, tracking_number: str) -> list[TrackingEvent]:
        """Every tracking event known for the number, oldest first."""
        ...


class CarrierError(Exception):
    """A carrier refused or failed a call; ``code`` is the carrier's own error code."""

    def __init__(self, carrier: str, code: str, message: str) -> None:
        super().__init__(f"{carrier}: {code}: {message}")
        self.carrier = carrier
        self.code = code
        self.message = message
