"""Stock messaging thresholds: configured by environment, rendered as structured fields."""

from __future__ import annotations

import pytest

from omnigraph import testing
from omnigraph.domain.promise import StockMessage, StockThresholds
from omnigraph.domain.stock_signal import StockSignal, stock_signal
from omnigraph.settings import Settings, SettingsError
from tests.factories import HOME, build_network

AVAILABILITY = """
query {
  availability(skus: ["TEE-001", "MUG-002", "LAMP-003"]) {
    sku networkAvailable message
    stock { message available threshold quantityShown }
    locations { location { code } stock { message quantityShown } }
  }
}
"""
PROMISE = """
query($destination: GeoPointInput!) {
  deliveryPromise(input: {lines: [{sku: "MUG-002", quantity: 1}], destination: $destination}) {
    lines { sku message stock { message available threshold quantityShown } }
  }
}
"""


def test_thresholds_come_from_the_environment_and_are_checked() -> None:
    settings = Settings.from_env(
        {"OMNIGRAPH_STOCK_ONLY_FEW_LEFT": "5", "OMNIGRAPH_STOCK_LOW": "50"}
    )
    assert (settings.stock_only_few_left, settings.stock_low) == (5, 50)
    assert (Settings.from_env({}).stock_only_few_left, Settings.from_env({}).stock_low) == (3, 10)
    for env in (
        {"OMNIGRAPH_STOCK_ONLY_FEW_LEFT": "12", "OMNIGRAPH_STOCK_LOW": "10"},
        {"OMNIGRAPH_STOCK_LOW": "-1"},
        {"OMNIGRAPH_STOCK_LOW": "many"},
    ):
        with pytest.raises(SettingsError, match="OMNIGRAPH_STOCK"):
            Settings.from_env(env)


def test_only_few_left_shows_the_quantity_and_nothing_else_does() -> None:
    thresholds = StockThresholds(only_few_left=2, low_stock=6)
    assert [stock_signal(n, thresholds) for n in (-1, 0, 2, 3, 6, 7)] == [
        StockSignal(StockMessage.OUT_OF_STOCK, 0, None, None),
        StockSignal(StockMessage.OUT_OF_STOCK, 0, None, None),
        StockSignal(StockMessage.ONLY_FEW_LEFT, 2, 2, 2),
        StockSignal(StockMessage.LOW_STOCK, 3, 6, None),
        StockSignal(StockMessage.LOW_STOCK, 6, 6, None),
        StockSignal(StockMessage.IN_STOCK, 7, None, None),
    ]


async def test_availability_and_promises_use_the_configured_thresholds(settings: Settings) -> None:
    configured = settings.with_overrides(stock_only_few_left=1, stock_low=12)
    async with testing.harness(configured, migrate=False) as harness:
        await build_network(harness.services)
        answers = {a["sku"]: a for a in (await harness.graphql(AVAILABILITY))["availability"]}
        promise = await harness.graphql(PROMISE, {"destination": HOME})
    # TEE 111, MUG 41, LAMP 12 in the network; with the defaults LAMP would be IN_STOCK.
    assert answers["LAMP-003"]["message"] == "LOW_STOCK"
    assert answers["LAMP-003"]["stock"] == {
        "message": "LOW_STOCK",
        "available": 12,
        "threshold": 12,
        "quantityShown": None,
    }
    assert answers["TEE-001"]["stock"]["message"] == "IN_STOCK"
    loop_mug = next(
        entry for entry in answers["MUG-002"]["locations"] if entry["location"]["code"] == "ST-LOOP"
    )
    assert loop_mug["stock"] == {"message": "ONLY_FEW_LEFT", "quantityShown": 1}
    assert promise["deliveryPromise"]["lines"] == [
        {
            "sku": "MUG-002",
            "message": "IN_STOCK",
            "stock": {
                "message": "IN_STOCK",
                "available": 41,
                "threshold": None,
                "quantityShown": None,
            },
        }
    ]
