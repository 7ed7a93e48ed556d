"""Order capture costs a fixed number of SQL statements: a regression adds one and fails here.

The counts are for one line shipped from one location on the default rules (no exposure or
protected stock, no incoming supply), the path a storefront's hot SKU takes.
"""

from __future__ import annotations

from typing import Any

from omnigraph.testing import Harness
from tests.factories import Network
from tests.test_api_orders import order_input
from tests.test_query_count import count_statements

CREATE_ID = """
mutation Create($input: CreateOrderInput!) {
  createOrder(input: $input) { order { id } userErrors { field code message } }
}
"""

# Reads: due holds (before the attempt), channel with its exposure rules and the customer,
# products, protected stock rules, available stock, incoming supply, today's fulfilment
# orders (capacity). Writes: the order, its sourcing decision, line, fulfilment order and
# its line, the committed stock and its ledger movement, two timeline entries, and three
# outbox events (order.created, fulfillment.created, inventory.changed).
CAPTURE_READS = 7
CAPTURE_WRITES = 12


async def adjust(harness: Harness, location_id: int, sku: str, delta: int) -> None:
    payload = await harness.graphql(
        """mutation($i: AdjustInventoryInput!) {
          adjustInventory(input: $i) { userErrors { code } }
        }""",
        {"i": {"locationId": str(location_id), "sku": sku, "delta": delta, "reason": "RECEIPT"}},
    )
    assert payload["adjustInventory"]["userErrors"] == []


async def capture(harness: Harness, **changes: Any) -> list[str]:
    variables = {"input": order_input(lines=[{"sku": "TEE-001", "quantity": 1}], **changes)}
    with count_statements(harness) as statements:
        payload = (await harness.graphql(CREATE_ID, variables))["createOrder"]
    assert payload["userErrors"] == [] and payload["order"]["id"]
    return statements


def kinds(statements: list[str]) -> list[str]:
    return [" ".join(statement.split()[:3]) for statement in statements]


async def test_capture_for_a_known_customer_costs_a_fixed_number_of_statements(
    harness: Harness, network: Network
) -> None:
    await adjust(harness, network.dc, "TEE-001", 100)
    await capture(harness)  # the customer's first order creates the customer
    statements = await capture(harness)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    listing = "\n".join(kinds(statements))
    assert len(reads) == CAPTURE_READS, listing
    assert len(statements) - len(reads) == CAPTURE_WRITES, listing


async def test_a_first_order_adds_only_the_customer_row(harness: Harness, network: Network) -> None:
    await adjust(harness, network.dc, "TEE-001", 100)
    await capture(harness, customer={"email": "someone@example.com", "name": "Some One"})
    statements = await capture(
        harness, customer={"email": "First@Example.com", "name": "First Buyer"}
    )
    inserts = [s for s in kinds(statements) if s.startswith("INSERT INTO customers")]
    # SQLite adds the row; PostgreSQL inserts it (skipping a concurrent twin) and reads it.
    extra = 1 if harness.services.db.is_sqlite else 2
    listing = "\n".join(kinds(statements))
    assert len(inserts) == 1, listing
    assert len(statements) == CAPTURE_READS + CAPTURE_WRITES + extra, listing
