"""A ``location`` field answers the same whether the catalogue already holds the location's
row (resolved at once) or not (through the ``location_by_id`` loader)."""

from __future__ import annotations

import pytest

from omnigraph.testing import Harness
from tests.factories import HOME, Network

PACKAGE_LOCATIONS = """
query($input: DeliveryPromiseInput!) {
  deliveryPromise(input: $input) {
    options { method packages { location { id code name timezone address { city } } } }
  }
}
"""
TEES = {"input": {"lines": [{"sku": "TEE-001", "quantity": 2}], "destination": HOME}}


def _locations(data: dict) -> list[tuple[str, dict]]:
    return [
        (option["method"], package["location"])
        for option in data["deliveryPromise"]["options"]
        for package in option["packages"]
    ]


async def test_a_location_not_held_by_the_catalogue_answers_as_a_held_one(
    harness: Harness, network: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = harness.services.catalog
    held = _locations(await harness.graphql(PACKAGE_LOCATIONS, TEES))
    assert catalog.cached_location_row(network.loop) is not None
    with monkeypatch.context() as patch:
        patch.setattr(catalog, "location_view", lambda *_: None)
        loaded = _locations(await harness.graphql(PACKAGE_LOCATIONS, TEES))
    assert loaded == held
    assert [location["code"] for method, location in held if method == "SHIP_STANDARD"] == [
        "ST-LOOP"
    ]
    assert held[0][1]["address"] == {"city": "Chicago"}


async def test_a_held_location_is_built_once_until_the_catalogue_reloads_it(
    harness: Harness, network: Network
) -> None:
    catalog = harness.services.catalog
    await harness.graphql(PACKAGE_LOCATIONS, TEES)
    built: list[int] = []

    def build(row: object) -> list[int]:
        built.append(1)
        return [len(built)]

    first = catalog.location_view(network.loop, build)
    assert catalog.location_view(network.loop, build) is first
    assert built == [1]
    catalog.invalidate()
    await catalog.load_locations([network.loop])
    assert catalog.location_view(network.loop, build) == [2]
