"""The table-rate carrier: a thin adapter from the ``Carrier`` protocol to a domain rate table.

Prices and transit days come from ``omnigraph.domain.rating``; this module only measures
the distance, picks the services asked for, and turns quotes into offers and labels.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time

from omnigraph.carriers import (
    CarrierError,
    Label,
    LabelRequest,
    RateOffer,
    RateRequest,
    TrackingEvent,
)
from omnigraph.domain.geo import GeoPoint, distance_km
from omnigraph.domain.rating import RateQuote
from omnigraph.domain.vocabulary import ShipmentStatus
from plugins.tablerate.ratecard import RateCard
from plugins.tablerate.tracking import (
    InvalidTrackingNumber,
    TrackingFacts,
    decode,
    encode,
    reference_digest,
)

CARRIER_CODE = "tablerate"
CARRIER_NAME = "Table Rate Shipping"
# The app mounts a plugin's routes under /plugins/<entry-point name>/.
ROUTE_PREFIX = f"/plugins/{CARRIER_CODE}"


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class LabelFacts:
    """A validated tracking number with its service resolved against the rate card."""

    tracking_number: str
    service: str
    facts: TrackingFacts


class TableRateCarrier:
    """Satisfies ``omnigraph.carriers.Carrier``; keeps no state beyond its rate card."""

    code = CARRIER_CODE
    name = CARRIER_NAME

    def __init__(
        self,
        card: RateCard,
        *,
        public_url: str = "",
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.card = card
        self._label_base = public_url.rstrip("/") + ROUTE_PREFIX + "/labels/"
        self._clock = clock

    async def rates(self, request: RateRequest) -> list[RateOffer]:
        # This carrier prices in one currency and does not convert.
        if request.currency != self.card.table.currency or request.weight_grams < 0:
            return []
        distance = distance_km(request.origin, request.destination)
        offers = []
        for service in dict.fromkeys(request.services):
            quote = self.card.table.quote(service, distance, request.weight_grams)
            if quote is not None:
                offers.append(
                    RateOffer(self.code, quote.service, quote.price, quote.transit_business_days)
                )
        return offers

    async def buy_label(self, request: LabelRequest) -> Label:
        reference = request.shipment_reference.strip()
        if not reference:
            raise CarrierError(self.code, "INVALID_REFERENCE", "a shipment reference is required")
        if request.weight_grams < 0:
            raise CarrierError(self.code, "INVALID_WEIGHT", "weight cannot be negative")
        if request.currency != self.card.table.currency:
            raise CarrierError(
                self.code,
                "CURRENCY_NOT_SUPPORTED",
                f"rates are in {self.card.table.currency}, not {request.currency}",
            )
        quote = self._quote(
            request.service, request.origin, request.destination, request.weight_grams
        )
        facts = TrackingFacts(
            service_number=self.card.service_numbers[quote.service],
            zone=quote.zone,
            billable_kg=quote.billable_kg,
            label_date=self._clock().astimezone(UTC).date(),
            reference_digest=reference_digest(reference),
        )
        tracking_number = encode(facts)
        return Label(
            self.code, quote.service, tracking_number, self.label_url(tracking_number), quote.price
        )

    async def track(self, tracking_number: str) -> list[TrackingEvent]:
        label = self.parse(tracking_number)
        facts = label.facts
        # Only the day is encoded; the label was created some time during it.
        created = datetime.combine(facts.label_date, time.min, tzinfo=UTC)
        description = f"Label created: {label.service}, zone {facts.zone}, {facts.billable_kg} kg"
        return [TrackingEvent(ShipmentStatus.LABEL_CREATED.value, created, description)]

    def parse(self, tracking_number: str) -> LabelFacts:
        """The number's facts; ``CarrierError`` INVALID_TRACKING_NUMBER if it is not ours."""
        try:
            facts = decode(tracking_number)
        except InvalidTrackingNumber as exc:
            raise CarrierError(
                self.code, "INVALID_TRACKING_NUMBER", f"{tracking_number!r}: {exc}"
            ) from exc
        service = self.card.service_for_number(facts.service_number)
        if service is None:
            raise CarrierError(
                self.code,
                "INVALID_TRACKING_NUMBER",
                f"{tracking_number!r}: no service has number {facts.service_number}",
            )
        if facts.zone >= len(self.card.table.zone_limits_km):
            raise CarrierError(
                self.code, "INVALID_TRACKING_NUMBER", f"{tracking_number!r}: no zone {facts.zone}"
            )
        return LabelFacts(tracking_number.strip().upper(), service, facts)

    def label_url(self, tracking_number: str) -> str:
        return self._label_base + tracking_number

    def _quote(
        self, service: str, origin: GeoPoint, destination: GeoPoint, weight_grams: int
    ) -> RateQuote:
        table = self.card.table
        distance = distance_km(origin, destination)
        quote = table.quote(service, distance, weight_grams)
        if quote is not None:
            return quote
        if service not in table.services:
            known = ", ".join(sorted(table.services))
            raise CarrierError(
                self.code, "UNKNOWN_SERVICE", f"no service {service!r} (offered: {known})"
            )
        if weight_grams > table.max_weight_grams:
            raise CarrierError(
                self.code,
                "TOO_HEAVY",
                f"{weight_grams} g is over the {table.max_weight_grams} g limit",
            )
        raise CarrierError(self.code, "OUT_OF_AREA", f"{service} does not reach {distance:.0f} km")
