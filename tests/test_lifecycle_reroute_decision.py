"""A re-route planned SKU by SKU keeps an explanation of every SKU's plan."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from omnigraph.db.models import SourcingMethodRule
from omnigraph.db.models.sourcing import ALL_CHANNELS
from omnigraph.testing import Harness
from tests.factories import build_network
from tests.lifecycle import REJECT, RELEASE, decided_at, done, place, stock
from tests.test_api_orders import order_input

EXPLAINED = """
query($id: ID!) { node(id: $id) { ... on Order { sourcingDecision {
  method basis runnerUp { total { amount } }
  chosen { total { amount } packages { code total { amount } lines { sku quantity } } }
  candidates { code }
  narrative
} } } }
"""
TEE, MUG = 1, 2
DC, LOOP, EVANSTON = 1, 2, 3


async def test_a_rejection_re_sourced_sku_by_sku_explains_every_sku(harness: Harness) -> None:
    # The Loop store holds both SKUs; elsewhere only the DC has tees and Evanston mugs,
    # and a standard delivery may not be split: nobody else can take the set as a whole.
    await build_network(
        harness.services,
        stock={
            (LOOP, "TEE-001"): 2,
            (LOOP, "MUG-002"): 1,
            (DC, "TEE-001"): 10,
            (EVANSTON, "MUG-002"): 5,
        },
    )
    async with harness.services.unit_of_work() as uow:
        uow.session.add(
            SourcingMethodRule(
                channel=ALL_CHANNELS,
                method="SHIP_STANDARD",
                min_stock={},
                max_packages=1,
                allow_backorder=False,
            )
        )
        await uow.commit()
    order = await place(
        harness,
        order_input(lines=[{"sku": "TEE-001", "quantity": 2}, {"sku": "MUG-002", "quantity": 1}]),
    )
    assert await decided_at(harness, order["id"]) == ("SHIP_STANDARD", ["ST-LOOP"])
    await done(harness, RELEASE, orderId=order["id"])
    [fo] = order["fulfillmentOrders"]
    ship_by_before = await _ship_by(harness, order["id"])

    rejected = await done(harness, REJECT, fulfillmentOrderId=fo["id"], reason="closed early")
    moved = {
        fo["location"]["code"]: [(line["product"]["sku"], line["quantity"]) for line in fo["lines"]]
        for fo in rejected["rerouted"]
    }
    assert moved == {"DC-JOLIET": [("TEE-001", 2)], "ST-EVANSTON": [("MUG-002", 1)]}
    assert await stock(harness, DC, TEE) == (10, 2, 0)
    assert await stock(harness, EVANSTON, MUG) == (5, 1, 0)
    # The new locations must ship no later than the promise still allows.
    assert await _ship_by(harness, order["id"]) <= ship_by_before

    decision = (await harness.graphql(EXPLAINED, {"id": order["id"]}))["node"]["sourcingDecision"]
    assert decision["method"] == "SHIP_STANDARD"
    packages = {
        package["code"]: [(line["sku"], line["quantity"]) for line in package["lines"]]
        for package in decision["chosen"]["packages"]
    }
    assert packages == moved  # both SKUs' plans, not only the first one's
    assert decision["basis"] is None and decision["runnerUp"] is None
    # The merged plan costs what its packages cost together.
    total = Decimal(decision["chosen"]["total"]["amount"])
    assert total == sum(Decimal(p["total"]["amount"]) for p in decision["chosen"]["packages"])
    assert total > 0
    assert any(line.startswith("MUG-002: ") for line in decision["narrative"])
    assert any(line.startswith("TEE-001: ") for line in decision["narrative"])
    assert {"DC-JOLIET", "ST-EVANSTON"} <= {c["code"] for c in decision["candidates"]}


async def _ship_by(harness: Harness, order_id: str) -> datetime:
    query = "query($id: ID!) { node(id: $id) { ... on Order { shipBy } } }"
    return datetime.fromisoformat(
        (await harness.graphql(query, {"id": order_id}))["node"]["shipBy"]
    )
