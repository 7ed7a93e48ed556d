"""The table-rate carrier as the core sees it: offers, labels and tracking."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from omnigraph.carriers import Carrier, CarrierError, LabelRequest, RateRequest
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.money import Money
from plugins.tablerate.carrier import TableRateCarrier
from plugins.tablerate.ratecard import default_rate_card
from plugins.tablerate.tracking import TrackingFacts, encode

CHICAGO = GeoPoint(41.8781, -87.6298)
EVANSTON = GeoPoint(42.0451, -87.6877)  # ~19 km: zone 0
MILWAUKEE = GeoPoint(43.0389, -87.9065)  # ~131 km: zone 1
MINNEAPOLIS = GeoPoint(44.9778, -93.2650)  # ~571 km: zone 3
LOS_ANGELES = GeoPoint(34.0522, -118.2437)  # ~2,804 km: zone 6
HONOLULU = GeoPoint(21.3069, -157.8583)  # ~6,838 km: beyond the last zone
LABEL_DAY = datetime(2025, 3, 14, 15, 9, tzinfo=UTC)


def carrier() -> TableRateCarrier:
    return TableRateCarrier(default_rate_card(), clock=lambda: LABEL_DAY)


def rate_request(
    destination: GeoPoint,
    weight_grams: int = 1_000,
    services: tuple[str, ...] = ("GROUND",),
    currency: str = "USD",
) -> RateRequest:
    return RateRequest(CHICAGO, "60601", destination, None, weight_grams, services, currency)


def label_request(
    reference: str = "SHP-1001",
    service: str = "GROUND",
    destination: GeoPoint = MINNEAPOLIS,
    weight_grams: int = 4_200,
    currency: str = "USD",
) -> LabelRequest:
    return LabelRequest(
        reference, service, CHICAGO, "60601", destination, "55401", weight_grams, currency
    )


async def price(destination: GeoPoint, weight_grams: int = 1_000, service: str = "GROUND") -> Money:
    [offer] = await carrier().rates(rate_request(destination, weight_grams, (service,)))
    return offer.price


def test_satisfies_the_carrier_protocol() -> None:
    subject = carrier()
    assert isinstance(subject, Carrier)
    assert subject.code == "tablerate"
    assert subject.name


async def test_quotes_grow_with_distance() -> None:
    prices = [await price(place) for place in (EVANSTON, MILWAUKEE, MINNEAPOLIS, LOS_ANGELES)]
    assert prices == sorted(prices)
    assert len(set(prices)) == len(prices)


async def test_quotes_grow_with_weight_per_started_kilogram() -> None:
    one_kg, just_over, five_kg = [
        await price(MINNEAPOLIS, grams) for grams in (1_000, 1_001, 5_000)
    ]
    assert one_kg < just_over < five_kg
    # Zone 3 ground: 8.75 base + 1.15 a kilogram.
    assert five_kg == Money(875 + 5 * 115, "USD")


async def test_zones_come_from_great_circle_distance() -> None:
    # Ground's base price per zone is (695, 745, 795, 875, 950, 1045, 1150); 1 kg adds per_kg.
    assert await price(EVANSTON) == Money(695 + 55, "USD")
    assert await price(MILWAUKEE) == Money(745 + 70, "USD")
    assert await price(LOS_ANGELES) == Money(1150 + 195, "USD")


async def test_offers_every_requested_service_with_its_transit_days() -> None:
    offers = await carrier().rates(
        rate_request(EVANSTON, services=("GROUND", "EXPRESS", "LOCAL_COURIER"))
    )
    by_service = {offer.service: offer for offer in offers}
    assert set(by_service) == {"GROUND", "EXPRESS", "LOCAL_COURIER"}
    assert all(offer.carrier == "tablerate" for offer in offers)
    assert by_service["EXPRESS"].price > by_service["GROUND"].price
    assert by_service["LOCAL_COURIER"].transit_business_days == 0


async def test_too_heavy_gives_no_offer() -> None:
    assert await carrier().rates(rate_request(MILWAUKEE, weight_grams=68_001)) == []
    assert await carrier().rates(rate_request(MILWAUKEE, weight_grams=68_000)) != []


async def test_too_far_gives_no_offer() -> None:
    assert await carrier().rates(rate_request(HONOLULU, services=("GROUND", "EXPRESS"))) == []


async def test_local_courier_stops_at_its_own_reach() -> None:
    assert await carrier().rates(rate_request(EVANSTON, services=("LOCAL_COURIER",))) != []
    assert await carrier().rates(rate_request(MILWAUKEE, services=("LOCAL_COURIER",))) == []


async def test_unknown_service_gives_no_offer() -> None:
    offers = await carrier().rates(
        rate_request(MILWAUKEE, services=("OVERNIGHT_FREIGHT", "GROUND"))
    )
    assert [offer.service for offer in offers] == ["GROUND"]


async def test_other_currency_gives_no_offer_rather_than_a_wrong_price() -> None:
    assert await carrier().rates(rate_request(MILWAUKEE, currency="EUR")) == []


async def test_label_costs_what_was_quoted_and_tracks_back() -> None:
    subject = carrier()
    [offer] = await subject.rates(rate_request(MINNEAPOLIS, 4_200))
    label = await subject.buy_label(label_request(weight_grams=4_200))
    assert label.carrier == "tablerate"
    assert label.service == "GROUND"
    assert label.cost == offer.price
    assert label.label_url == f"/plugins/tablerate/labels/{label.tracking_number}"
    [event] = await subject.track(label.tracking_number)
    assert event.status == "LABEL_CREATED"
    assert event.occurred_at.date() == date(2025, 3, 14)
    assert (
        "GROUND" in event.description
        and "zone 3" in event.description
        and "5 kg" in event.description
    )


async def test_tracking_number_is_deterministic_for_the_shipment_reference() -> None:
    first = await carrier().buy_label(label_request("SHP-1001"))
    again = await carrier().buy_label(label_request("SHP-1001"))
    other = await carrier().buy_label(label_request("SHP-1002"))
    assert first.tracking_number == again.tracking_number
    assert other.tracking_number != first.tracking_number
    assert first.tracking_number.startswith("TR") and len(first.tracking_number) == 22


async def test_public_url_makes_label_urls_absolute() -> None:
    subject = TableRateCarrier(default_rate_card(), public_url="https://oms.example.com/")
    label = await subject.buy_label(label_request())
    assert (
        label.label_url
        == f"https://oms.example.com/plugins/tablerate/labels/{label.tracking_number}"
    )


@pytest.mark.parametrize(
    ("request_", "code"),
    [
        (label_request(service="OVERNIGHT_FREIGHT"), "UNKNOWN_SERVICE"),
        (label_request(weight_grams=70_000), "TOO_HEAVY"),
        (label_request(destination=HONOLULU), "OUT_OF_AREA"),
        (label_request(service="LOCAL_COURIER"), "OUT_OF_AREA"),
        (label_request(currency="EUR"), "CURRENCY_NOT_SUPPORTED"),
        (label_request(reference="  "), "INVALID_REFERENCE"),
    ],
)
async def test_label_refusals_carry_a_clear_code(request_: LabelRequest, code: str) -> None:
    with pytest.raises(CarrierError) as caught:
        await carrier().buy_label(request_)
    assert caught.value.carrier == "tablerate"
    assert caught.value.code == code


async def test_a_mistyped_tracking_number_is_refused() -> None:
    label = await carrier().buy_label(label_request())
    number = label.tracking_number
    wrong_digit = number[:10] + str((int(number[10]) + 1) % 10) + number[11:]
    for bad in (wrong_digit, number[:-1], "1Z999AA10123456784", "", "TR" + "x" * 20):
        with pytest.raises(CarrierError) as caught:
            await carrier().track(bad)
        assert caught.value.code == "INVALID_TRACKING_NUMBER"


async def test_a_number_with_a_valid_check_digit_but_no_such_service_is_refused() -> None:
    unknown_service = encode(TrackingFacts(42, 1, 1, date(2025, 1, 1), 12345678))
    with pytest.raises(CarrierError, match="no service has number 42") as caught:
        await carrier().track(unknown_service)
    assert caught.value.code == "INVALID_TRACKING_NUMBER"
