"""No N+1: a page of orders with every relation costs the same number of statements
whether it holds 5 orders or 50."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from omnigraph.testing import Harness
from tests.factories import Network
from tests.test_api_orders import CREATE, order_input

DEEP_ORDERS = """
query($first: Int!) {
  orders(first: $first) {
    edges { node {
      number status total { amount }
      channel { code }
      customer { email }
      pickupLocation { code }
      lines { quantity product { sku name price { amount } } }
      fulfillmentOrders {
        status location { code name } lines { quantity lineNumber product { sku } }
      }
      shipments { trackingNumber fulfillmentOrder { status } }
    } }
  }
}
"""


@contextmanager
def count_statements(harness: Harness) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = harness.services.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def place_orders(harness: Harness, count: int) -> None:
    for index in range(count):
        lines = (
            [{"sku": "TEE-001", "quantity": 1}, {"sku": "MUG-002", "quantity": 1}]
            if index % 2
            else [{"sku": "TEE-001", "quantity": 1}]
        )
        payload = (
            await harness.graphql(
                CREATE,
                {"input": order_input(customer={"email": f"n{index}@example.com"}, lines=lines)},
            )
        )["createOrder"]
        assert payload["userErrors"] == []


async def test_a_deep_page_of_orders_costs_a_constant_number_of_statements(
    harness: Harness, network: Network
) -> None:
    await harness.graphql(
        """mutation($i: AdjustInventoryInput!) {
          adjustInventory(input: $i) { userErrors { code } }
        }""",
        {"i": {"locationId": str(network.dc), "sku": "TEE-001", "delta": 100, "reason": "RECEIPT"}},
    )
    await place_orders(harness, 5)
    with count_statements(harness) as small:
        five = await harness.graphql(DEEP_ORDERS, {"first": 5})
    await place_orders(harness, 45)
    with count_statements(harness) as large:
        fifty = await harness.graphql(DEEP_ORDERS, {"first": 50})
    assert len(five["orders"]["edges"]) == 5 and len(fifty["orders"]["edges"]) == 50
    assert all(
        edge["node"]["lines"] and edge["node"]["fulfillmentOrders"]
        for edge in fifty["orders"]["edges"]
    )
    selects = [s for s in large if s.lstrip().upper().startswith("SELECT")]
    assert len(large) == len(small), f"{len(small)} statements for 5 orders, {len(large)} for 50"
    # orders, channels, customers, lines, products, fulfilment orders, their locations,
    # fulfilment lines, order lines behind them, shipments.
    assert len(selects) <= 10, "\n".join(selects)
