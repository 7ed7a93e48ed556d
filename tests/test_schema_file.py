"""The committed schema.graphql is exactly what the code exports."""

from __future__ import annotations

from omnigraph.api.schema import export_sdl
from omnigraph.settings import project_root


def test_committed_schema_matches_the_code() -> None:
    committed = (project_root() / "schema.graphql").read_text()
    assert committed == export_sdl(), (
        "schema.graphql is stale: run `omnigraph schema --output schema.graphql`"
    )


def test_schema_has_the_promised_entry_points() -> None:
    sdl = export_sdl()
    for entry in (
        "node(",
        "nodes(",
        "orders(",
        "order(",
        "locations(",
        "products(",
        "availability(",
        "deliveryPromise(input: DeliveryPromiseInput!)",
        "shipments(orderId: ID!)",
        "createOrder(input: CreateOrderInput!)",
        "cancelOrder(",
        "adjustInventory(",
        "setInventory(",
        "orderEvents(",
    ):
        assert entry in sdl, entry
    assert "userErrors: [UserError!]!" in sdl
    assert "currencyCode: String!" in sdl and "amount: Decimal!" in sdl
