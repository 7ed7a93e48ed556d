"""Promises and orders come from one sourcing engine, and orders keep its explanation."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from omnigraph.db.models import Location, OrderSourcingDecision
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.orders import LineRequest, order_id_from_number
from omnigraph.domain.vocabulary import DeliveryMethod
from omnigraph.services.promise import PromiseRequest, delivery_promise
from omnigraph.services.sourcing_trace import replace_decision
from omnigraph.testing import Harness
from tests.factories import HOME, Network
from tests.test_api_orders import CREATE, order_input
from tests.test_query_count import count_statements

# A Tuesday, 15:00 in Chicago: every location is open and before its cut-off.
TUESDAY_AFTERNOON = datetime(2026, 11, 17, 21, 0, tzinfo=UTC)

PROMISE = """
query($input: DeliveryPromiseInput!) {
  deliveryPromise(input: $input) {
    options {
      method earliestDate latestDate price { amount }
      packages { location { code } lines { sku quantity } }
      explanation {
        channel method basis candidatesConsidered
        candidates { code eligible reason detail location { code } }
        chosen { total { amount } shipping { amount } labour { amount }
                 packages { code lines { sku quantity } total { amount } } }
        runnerUp { total { amount } packages { code } }
      }
    }
    unavailable { method reason detail }
  }
}
"""

DECISION = """
query($number: String!) {
  order(number: $number) {
    number
    fulfillmentOrders { location { code } }
    sourcingDecision {
      channel method basis candidatesConsidered narrative
      candidates { code eligible reason detail location { code } }
      chosen { total { amount currencyCode } splitPenalty { amount }
               packages { code service shipping { amount } labour { amount } total { amount }
                          lines { sku quantity } location { code } } }
      runnerUp { total { amount } packages { code } }
    }
  }
}
"""


def at_tuesday(harness: Harness) -> None:
    harness.services.clock = lambda: TUESDAY_AFTERNOON


async def promise(harness: Harness, lines: list[dict[str, Any]], method: str) -> dict[str, Any]:
    data = await harness.graphql(
        PROMISE,
        {"input": {"lines": lines, "destination": HOME, "methods": [method], "channel": "WEB"}},
    )
    return data["deliveryPromise"]


async def place(harness: Harness, lines: list[dict[str, Any]], method: str) -> dict[str, Any]:
    payload = (
        await harness.graphql(CREATE, {"input": order_input(lines=lines, deliveryMethod=method)})
    )["createOrder"]
    assert payload["userErrors"] == []
    return payload["order"]


def codes(packages: list[dict[str, Any]]) -> list[str]:
    return sorted(p["location"]["code"] for p in packages)


async def test_an_order_placed_after_a_promise_is_sourced_as_promised(
    harness: Harness, network: Network
) -> None:
    at_tuesday(harness)
    for lines, method in [
        ([{"sku": "TEE-001", "quantity": 2}], "SHIP_STANDARD"),
        ([{"sku": "TEE-001", "quantity": 1}, {"sku": "LAMP-003", "quantity": 1}], "SHIP_EXPRESS"),
        ([{"sku": "TEE-001", "quantity": 1}], "SAME_DAY"),
    ]:
        answer = await promise(harness, lines, method)
        [option] = answer["options"]
        order = await place(harness, lines, method)
        assert codes(order["fulfillmentOrders"]) == codes(option["packages"]), method
        earliest = date.fromisoformat(option["earliestDate"])
        latest = date.fromisoformat(option["latestDate"])
        promised = order["promised"]
        assert earliest <= date.fromisoformat(promised["earliest"]) <= latest
        assert earliest <= date.fromisoformat(promised["latest"]) <= latest
        assert order["shipping"]["amount"] == option["price"]["amount"]


async def test_the_promise_follows_the_cheaper_plan_not_the_nearest_store(
    harness: Harness, network: Network
) -> None:
    # ST-LOOP is nearest and in the same carrier zone as the DC, but the DC picks for less.
    async with harness.services.unit_of_work() as uow:
        dc = await uow.session.get(Location, network.dc)
        assert dc is not None
        dc.pick_cost_minor = 50
        await uow.commit()
    at_tuesday(harness)
    [option] = (await promise(harness, [{"sku": "TEE-001", "quantity": 1}], "SHIP_STANDARD"))[
        "options"
    ]
    assert codes(option["packages"]) == ["DC-JOLIET"]
    explanation = option["explanation"]
    assert explanation["basis"] == "LOWEST_COST"
    assert [p["code"] for p in explanation["runnerUp"]["packages"]] == ["ST-LOOP"]
    chosen_total = float(explanation["chosen"]["total"]["amount"])
    assert chosen_total < float(explanation["runnerUp"]["total"]["amount"])
    order = await place(harness, [{"sku": "TEE-001", "quantity": 1}], "SHIP_STANDARD")
    assert codes(order["fulfillmentOrders"]) == ["DC-JOLIET"]


async def test_order_keeps_its_sourcing_decision_with_rejections_and_costs(
    harness: Harness, network: Network
) -> None:
    at_tuesday(harness)
    order = await place(harness, [{"sku": "LAMP-003", "quantity": 1}], "SHIP_STANDARD")
    decision = (await harness.graphql(DECISION, {"number": order["number"]}))["order"][
        "sourcingDecision"
    ]
    assert decision["channel"] == "WEB" and decision["method"] == "SHIP_STANDARD"
    verdicts = {c["code"]: c for c in decision["candidates"]}
    # Lamps are at the DC and Oak Park; Oak Park only offers pickup.
    assert decision["candidatesConsidered"] == 2
    assert verdicts["ST-OAKPARK"]["eligible"] is False
    assert verdicts["ST-OAKPARK"]["reason"] == "NO_CAPABILITY"
    assert verdicts["ST-OAKPARK"]["location"]["code"] == "ST-OAKPARK"
    assert verdicts["DC-JOLIET"]["eligible"] is True
    [package] = decision["chosen"]["packages"]
    assert package["code"] == "DC-JOLIET" and package["location"]["code"] == "DC-JOLIET"
    assert package["service"] == "GROUND"
    assert package["lines"] == [{"sku": "LAMP-003", "quantity": 1}]
    # Pick labour is the location's per-line cost (1.50 in the test network).
    assert package["labour"]["amount"] == "1.50"
    total = float(package["shipping"]["amount"]) + float(package["labour"]["amount"])
    assert float(decision["chosen"]["total"]["amount"]) == total
    assert decision["basis"] == "ONLY_OPTION" and decision["runnerUp"] is None
    assert any("ST-OAKPARK" in line and "NO_CAPABILITY" in line for line in decision["narrative"])


async def test_sourcing_decisions_load_without_n_plus_one(
    harness: Harness, network: Network
) -> None:
    at_tuesday(harness)
    query = """
    query($first: Int!) {
      orders(first: $first) { edges { node {
        number
        sourcingDecision { basis candidates { code location { code } }
                           chosen { packages { location { code } } } }
      } } }
    }
    """
    for _ in range(2):
        await place(harness, [{"sku": "TEE-001", "quantity": 1}], "SHIP_STANDARD")
    with count_statements(harness) as small:
        two = await harness.graphql(query, {"first": 2})
    for _ in range(6):
        await place(harness, [{"sku": "MUG-002", "quantity": 1}], "SHIP_STANDARD")
    with count_statements(harness) as large:
        eight = await harness.graphql(query, {"first": 8})
    assert len(two["orders"]["edges"]) == 2 and len(eight["orders"]["edges"]) == 8
    assert all(e["node"]["sourcingDecision"]["chosen"] for e in eight["orders"]["edges"])
    assert len(large) == len(small)


async def test_a_re_sourced_order_keeps_only_its_newest_decision(
    harness: Harness, network: Network
) -> None:
    at_tuesday(harness)
    order = await place(harness, [{"sku": "TEE-001", "quantity": 1}], "SHIP_STANDARD")
    request = PromiseRequest(
        [LineRequest("TEE-001", 1)],
        [DeliveryMethod.SHIP_EXPRESS],
        destination=GeoPoint(HOME["latitude"], HOME["longitude"]),
    )
    [express] = (await delivery_promise(harness.services, request)).options
    order_id = order_id_from_number(order["number"])
    assert order_id is not None
    async with harness.services.unit_of_work() as uow:
        await replace_decision(uow.session, order_id, express.decision, TUESDAY_AFTERNOON)
        await uow.commit()
    decision = (await harness.graphql(DECISION, {"number": order["number"]}))["order"][
        "sourcingDecision"
    ]
    assert decision["method"] == "SHIP_EXPRESS"
    async with harness.services.db.read_session() as session:
        rows = await session.scalar(
            select(func.count()).where(OrderSourcingDecision.order_id == order_id)
        )
    assert rows == 1
