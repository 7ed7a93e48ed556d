"""Rates files: a custom table is used when configured, and a broken one stops start-up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import plugins.tablerate as plugin
from omnigraph.carriers import RateRequest
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.money import Money
from omnigraph.domain.rating import us_ground_and_express
from omnigraph.settings import Settings
from plugins.tablerate.carrier import TableRateCarrier
from plugins.tablerate.ratecard import RateCardError, default_rate_card, load_rate_card

CHICAGO = GeoPoint(41.8781, -87.6298)
MILWAUKEE = GeoPoint(43.0389, -87.9065)  # ~131 km


def rates_document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "currency": "EUR",
        "zone_limits_km": [100, 500],
        "max_weight_grams": 30000,
        "services": [
            {
                "code": "STANDARD",
                "number": 11,
                "base_minor": [400, 600],
                "per_kg_minor": [50, 80],
                "transit_days": [1, 2],
            },
            {
                "code": "BIKE",
                "number": 12,
                "base_minor": [300, 300],
                "per_kg_minor": [0, 0],
                "transit_days": [0, 0],
                "max_distance_km": 15,
            },
        ],
    }
    document.update(changes)
    return document


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "rates.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def settings_for(path: Path) -> Settings:
    return Settings(extra={"OMNIGRAPH_PLUGIN_TABLERATE_RATES_FILE": str(path)})


async def test_a_custom_rates_file_named_in_settings_is_used(tmp_path: Path) -> None:
    path = write(tmp_path, rates_document())
    [carrier] = plugin.omnigraph_carriers(settings=settings_for(path))
    request = RateRequest(
        CHICAGO, "60601", MILWAUKEE, None, 2_500, ("STANDARD", "BIKE", "GROUND"), "EUR"
    )
    offers = await carrier.rates(request)
    # Zone 1 (100-500 km), three started kilograms; BIKE does not reach, GROUND is not in this file.
    assert [(o.service, o.price, o.transit_business_days) for o in offers] == [
        ("STANDARD", Money(600 + 3 * 80, "EUR"), 2)
    ]


def test_without_a_rates_file_the_default_table_in_the_default_currency_is_used() -> None:
    [carrier] = plugin.omnigraph_carriers(settings=Settings(default_currency="CAD"))
    assert isinstance(carrier, TableRateCarrier)
    assert carrier.card.table == us_ground_and_express("CAD")


def test_the_default_card_numbers_every_service_of_the_domain_table() -> None:
    card = default_rate_card()
    assert set(card.service_numbers) == set(card.table.services)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "not valid JSON"),
        ([], "expected an object"),
        (rates_document(currency="euro"), "currency: expected a three-letter"),
        (
            rates_document(zone_limits_km=[500, 100]),
            "zone_limits_km: zone limits must be strictly ascending",
        ),
        (rates_document(zone_limits_km=[]), "zone_limits_km: expected 1 to 10 zones"),
        (rates_document(zone_limits_km=[100, "500"]), "zone_limits_km: expected a list of numbers"),
        (rates_document(max_weight_grams=True), "max_weight_grams: expected a whole number"),
        (rates_document(services=[]), "services: expected a non-empty list"),
        (rates_document(surcharge=5), "unknown field(s) surcharge"),
    ],
)
def test_a_malformed_rates_file_is_rejected_naming_the_field(
    tmp_path: Path, document: Any, message: str
) -> None:
    path = write(tmp_path, document)
    with pytest.raises(RateCardError) as caught:
        load_rate_card(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"base_minor": [400]}, "services[0].base_minor: expected one value per zone (2), got 1"),
        ({"per_kg_minor": [50, -1]}, "services[0].per_kg_minor: expected a list of whole numbers"),
        ({"transit_days": [1.5, 2]}, "services[0].transit_days: expected a list of whole numbers"),
        ({"code": "standard"}, "services[0].code: expected upper-case letters"),
        ({"number": 12}, "services[1].number: service number 12 is used twice"),
        ({"number": 100}, "services[0].number: expected a whole number from 1 to 99"),
        ({"max_distance_km": -3}, "services[0].max_distance_km: expected a positive number"),
        ({"per_kg": [1, 2]}, "services[0]: unknown field(s) per_kg"),
    ],
)
def test_a_malformed_service_is_rejected_naming_it(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    document = rates_document()
    document["services"][0].update(change)
    with pytest.raises(RateCardError, match=r"rates\.json") as caught:
        load_rate_card(write(tmp_path, document))
    assert message in str(caught.value)


def test_a_service_listed_twice_is_rejected(tmp_path: Path) -> None:
    document = rates_document()
    document["services"][1]["code"] = "STANDARD"
    with pytest.raises(
        RateCardError, match=r"services\[1\].code: service STANDARD is listed twice"
    ):
        load_rate_card(write(tmp_path, document))


def test_a_missing_rates_file_fails_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(RateCardError, match="cannot read the rates file"):
        plugin.omnigraph_carriers(settings=settings_for(tmp_path / "missing.json"))
