"""Order capture costs a fixed number of SQL statements: a regression adds one and fails here.

The counts are for one line shipped from one location on the default rules (no exposure or
protected stock, no incoming supply), taken by the general path (on SQLite such an order
takes the express path, ``test_express_orders``, unless it needs the general one).
"""

from __future__ import annotations

from typing import Any

import pytest

from omnigraph.services import express_orders
from omnigraph.services.capture_facts import capture_facts, products_with_protections
from omnigraph.services.network import products_by_sku
from omnigraph.services.stock_rules import selling_rules
from omnigraph.testing import Harness
from tests.factories import Network
from tests.test_api_orders import order_input
from tests.test_query_count import count_statements

CREATE_ID = """
mutation Create($input: CreateOrderInput!) {
  createOrder(input: $input) { order { id } userErrors { field code message } }
}
"""

# Reads: due holds (before the attempt), the channel with its exposure rules and the
# customer, the products with their protected stock rules, available stock, incoming supply,
# today's fulfilment orders (capacity); on PostgreSQL, the chosen location's capacity again,
# locked (``services.capacity``): two more. Writes: the order, its sourcing decision, line,
# fulfilment order and its line, the committed stock and its ledger movement, two timeline
# entries, and three outbox events (order.created, fulfillment.created, inventory.changed).
# PostgreSQL inserts the outbox events in one statement and the timeline entries in another;
# SQLite cannot return their ids from one multi-row INSERT in order, so it sends one each.
CAPTURE_READS = {"sqlite": 6, "postgresql": 8}
CAPTURE_WRITES = {"sqlite": 12, "postgresql": 9}


@pytest.fixture(autouse=True)
def general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(express_orders, "applies", lambda *_: False)


def capture_writes(harness: Harness) -> int:
    return CAPTURE_WRITES[_backend(harness)]


def capture_reads(harness: Harness) -> int:
    return CAPTURE_READS[_backend(harness)]


def _backend(harness: Harness) -> str:
    return "sqlite" if harness.services.db.is_sqlite else "postgresql"


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
    assert len(reads) == capture_reads(harness), listing
    assert len(statements) - len(reads) == capture_writes(harness), listing


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
    assert len(statements) == capture_reads(harness) + capture_writes(harness) + extra, listing


EXPOSURE = """
mutation($i: ChannelExposureRuleInput!) {
  setChannelExposureRule(input: $i) { ruleId userErrors { field code } }
}
"""
PROTECT = """
mutation($i: ProtectedStockRuleInput!) {
  setProtectedStockRule(input: $i) { ruleId userErrors { field code } }
}
"""


async def test_capture_reads_the_same_selling_rules_as_the_separate_reads(
    harness: Harness, network: Network
) -> None:
    for rule in (
        {"channel": "WEB", "sku": "LAMP-003", "cap": 2},
        {"channel": "WEB", "category": "home", "percent": 50},
        {"channel": "POS", "sku": "MUG-002", "cap": 1},
    ):
        assert (await harness.graphql(EXPOSURE, {"i": rule}))["setChannelExposureRule"][
            "userErrors"
        ] == []
    for rule in (
        {"sku": "MUG-002", "quantity": 3, "tiers": ["PRIORITY"]},
        {"category": "home", "quantity": 5, "tiers": ["B2B"]},  # both home products
        {"category": "apparel", "quantity": 7, "tiers": ["B2B"]},  # not in the cart
    ):
        assert (await harness.graphql(PROTECT, {"i": rule}))["setProtectedStockRule"][
            "userErrors"
        ] == []
    cart = ["MUG-002", "LAMP-003", "NOPE-404"]
    async with harness.services.db.read_session() as session:
        separate = await selling_rules(
            session, "WEB", (await products_by_sku(session, cart)).values()
        )
        facts = await capture_facts(session, "WEB", "ada@example.com")
        catalog = await products_with_protections(session, cart)
        together = await selling_rules(
            session,
            "WEB",
            catalog.products.values(),
            exposure_rows=facts.exposure,
            protected_rows=catalog.protected,
        )
        unknown = await capture_facts(session, "FAX", "ada@example.com")
    assert sorted(catalog.products) == ["LAMP-003", "MUG-002"]
    assert len(together.exposure) == 2 and len(together.protected) == 2
    assert sorted(together.exposure, key=by_id) == sorted(separate.exposure, key=by_id)
    assert sorted(together.protected, key=by_id) == sorted(separate.protected, key=by_id)
    assert unknown.channel is None and unknown.exposure == () and unknown.customer is None


def by_id(rule: Any) -> int:
    return int(rule.id)


CREATE_DEEP = """
mutation Create($input: CreateOrderInput!) {
  createOrder(input: $input) {
    order { ...Shown }
    userErrors { field code message }
  }
}
fragment Shown on Order {
  id number status
  lines { lineNumber quantity product { sku name } }
  fulfillmentOrders {
    id status kind location { code }
    lines { quantity lineNumber product { sku } }
  }
}
"""

READ_DEEP = """
query Read($id: ID!) { node(id: $id) { ...Shown } }
fragment Shown on Order {
  id number status
  lines { lineNumber quantity product { sku name } }
  fulfillmentOrders {
    id status kind location { code }
    lines { quantity lineNumber product { sku } }
  }
}
"""


async def test_the_answer_shows_the_new_order_without_reading_it_back(
    harness: Harness, network: Network
) -> None:
    await adjust(harness, network.dc, "TEE-001", 100)
    await capture(harness)  # the customer exists from now on
    lines = [{"sku": "TEE-001", "quantity": 2}, {"sku": "MUG-002", "quantity": 1}]
    with count_statements(harness) as statements:
        payload = (await harness.graphql(CREATE_DEEP, {"input": order_input(lines=lines)}))[
            "createOrder"
        ]
    assert payload["userErrors"] == []
    shown = payload["order"]
    assert [line["product"]["sku"] for line in shown["lines"]] == ["TEE-001", "MUG-002"]
    assert sum(len(fo["lines"]) for fo in shown["fulfillmentOrders"]) == 2
    # Lines, fulfilment orders, their lines and products come from what the capture wrote.
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == capture_reads(harness), "\n".join(kinds(statements))
    # And they are what the database holds.
    again = (await harness.graphql(READ_DEEP, {"id": shown["id"]}))["node"]
    assert again == shown
