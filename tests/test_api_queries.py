"""Read queries: orders, node, locations, products, availability, delivery promises."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from omnigraph.testing import Harness
from tests.factories import HOME, Network
from tests.test_api_orders import CREATE, order_input


def gid(type_name: str, database_id: int) -> str:
    return base64.b64encode(f"{type_name}:{database_id}".encode()).decode()


async def place(harness: Harness, count: int, **changes: object) -> list[dict]:
    orders = []
    for index in range(count):
        data = await harness.graphql(
            CREATE, {"input": order_input(customer={"email": f"c{index}@example.com"}, **changes)}
        )
        assert data["createOrder"]["userErrors"] == []
        orders.append(data["createOrder"]["order"])
    return orders


ORDERS = """
query($first: Int!, $after: String, $filter: OrderFilterInput) {
  orders(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id number status customer { email } } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""


async def test_orders_paginate_newest_first_with_stable_cursors(
    harness: Harness, network: Network
) -> None:
    placed = await place(harness, 5, lines=[{"sku": "TEE-001", "quantity": 1}])
    first = (await harness.graphql(ORDERS, {"first": 2}))["orders"]
    assert [e["node"]["id"] for e in first["edges"]] == [placed[4]["id"], placed[3]["id"]]
    assert (
        first["pageInfo"]["hasNextPage"] is True and first["pageInfo"]["hasPreviousPage"] is False
    )
    rest = (await harness.graphql(ORDERS, {"first": 10, "after": first["pageInfo"]["endCursor"]}))[
        "orders"
    ]
    assert [e["node"]["id"] for e in rest["edges"]] == [o["id"] for o in reversed(placed[:3])]
    assert rest["pageInfo"]["hasNextPage"] is False


async def test_orders_filter_by_status_channel_and_customer(
    harness: Harness, network: Network
) -> None:
    placed = await place(harness, 3, lines=[{"sku": "TEE-001", "quantity": 1}])
    await harness.graphql(
        "mutation($i: CancelOrderInput!) { cancelOrder(input: $i) { userErrors { code } } }",
        {"i": {"orderId": placed[0]["id"]}},
    )
    cancelled = (
        await harness.graphql(ORDERS, {"first": 10, "filter": {"statuses": ["CANCELLED"]}})
    )["orders"]["edges"]
    assert [e["node"]["id"] for e in cancelled] == [placed[0]["id"]]
    by_email = (
        await harness.graphql(ORDERS, {"first": 10, "filter": {"customerEmail": "C1@example.com"}})
    )["orders"]["edges"]
    assert [e["node"]["customer"]["email"] for e in by_email] == ["c1@example.com"]
    pos = (await harness.graphql(ORDERS, {"first": 10, "filter": {"channels": ["POS"]}}))["orders"][
        "edges"
    ]
    assert pos == []


async def test_page_size_is_limited(harness: Harness, network: Network) -> None:
    body = await harness.client.execute(ORDERS, {"first": 1000})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    bad_cursor = await harness.client.execute(ORDERS, {"first": 5, "after": "garbage"})
    assert bad_cursor["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_node_resolves_every_node_type_by_global_id(
    harness: Harness, network: Network
) -> None:
    order = (await place(harness, 1))[0]
    query = """
    query($ids: [ID!]!) { nodes(ids: $ids) {
      __typename
      ... on Order { number } ... on Location { code }
      ... on Product { sku } ... on Customer { email }
    } }
    """
    ids = [
        order["id"],
        gid("Location", network.dc),
        gid("Product", 2),
        gid("Customer", 1),
        gid("Order", 999),
    ]
    nodes = (await harness.graphql(query, {"ids": ids}))["nodes"]
    assert nodes == [
        {"__typename": "Order", "number": order["number"]},
        {"__typename": "Location", "code": "DC-JOLIET"},
        {"__typename": "Product", "sku": "MUG-002"},
        {"__typename": "Customer", "email": "c0@example.com"},
        None,
    ]
    by_number = await harness.graphql(
        "query($n: String) { order(number: $n) { id } }", {"n": order["number"]}
    )
    assert by_number["order"]["id"] == order["id"]


async def test_locations_near_a_point_are_sorted_by_distance_and_filtered(
    harness: Harness, network: Network
) -> None:
    query = """
    query($f: LocationFilterInput) {
      locations(first: 10, filter: $f) { edges { node { code distanceKm type capabilities } } }
    }
    """
    near = (await harness.graphql(query, {"f": {"near": HOME}}))["locations"]["edges"]
    assert [e["node"]["code"] for e in near] == [
        "ST-LOOP",
        "ST-OAKPARK",
        "ST-EVANSTON",
        "DC-JOLIET",
    ]
    distances = [e["node"]["distanceKm"] for e in near]
    assert distances == sorted(distances) and distances[0] < 1
    pickup_within_15 = (
        await harness.graphql(
            query, {"f": {"near": HOME, "radiusKm": 15, "capabilities": ["PICKUP"]}}
        )
    )["locations"]["edges"]
    assert [e["node"]["code"] for e in pickup_within_15] == ["ST-LOOP", "ST-OAKPARK"]
    dcs = (await harness.graphql(query, {"f": {"types": ["DC"]}}))["locations"]["edges"]
    assert [e["node"]["code"] for e in dcs] == ["DC-JOLIET"]


async def test_products_filter_and_paginate(harness: Harness, network: Network) -> None:
    query = """query($f: ProductFilterInput, $after: String) {
      products(first: 1, filter: $f, after: $after) {
        edges { node { sku price { amount currencyCode } } }
        pageInfo { hasNextPage endCursor }
      }
    }"""
    home = (await harness.graphql(query, {"f": {"category": "home"}}))["products"]
    assert home["edges"] == [
        {"node": {"sku": "MUG-002", "price": {"amount": "14.50", "currencyCode": "USD"}}}
    ]
    assert home["pageInfo"]["hasNextPage"] is True
    nxt = (
        await harness.graphql(
            query, {"f": {"category": "home"}, "after": home["pageInfo"]["endCursor"]}
        )
    )["products"]
    assert [e["node"]["sku"] for e in nxt["edges"]] == ["LAMP-003"]


AVAILABILITY = """
query($skus: [String!]!, $near: GeoPointInput, $radius: Float, $channel: String) {
  availability(skus: $skus, near: $near, radiusKm: $radius, channel: $channel) {
    sku networkAvailable nearbyAvailable message product { name }
    locations { available distanceKm location { code } }
  }
}
"""


async def test_availability_is_network_wide_and_nearest_first(
    harness: Harness, network: Network
) -> None:
    answer = (
        await harness.graphql(
            AVAILABILITY, {"skus": ["TEE-001", "LAMP-003", "GONE-9"], "near": HOME, "radius": 30}
        )
    )["availability"]
    tees, lamps, gone = answer
    assert tees["networkAvailable"] == 111
    assert [entry["location"]["code"] for entry in tees["locations"]] == ["ST-LOOP", "ST-EVANSTON"]
    assert tees["nearbyAvailable"] == 11
    assert (lamps["message"], lamps["networkAvailable"], lamps["nearbyAvailable"]) == (
        "IN_STOCK",
        12,
        2,
    )
    assert [entry["location"]["code"] for entry in lamps["locations"]] == ["ST-OAKPARK"]
    assert gone == {
        "sku": "GONE-9",
        "networkAvailable": 0,
        "nearbyAvailable": 0,
        "message": "OUT_OF_STOCK",
        "product": None,
        "locations": [],
    }


async def test_availability_reflects_committed_stock(harness: Harness, network: Network) -> None:
    await place(harness, 1, lines=[{"sku": "MUG-002", "quantity": 1}])
    mugs = (await harness.graphql(AVAILABILITY, {"skus": ["MUG-002"], "near": HOME}))[
        "availability"
    ][0]
    assert mugs["networkAvailable"] == 40
    assert [e["location"]["code"] for e in mugs["locations"]] == ["DC-JOLIET"]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"skus": ["TEE-001"], "channel": "FAX"}, ["channel"]),
        ({"skus": ["TEE-001"], "radius": 10}, ["radiusKm"]),
        ({"skus": []}, ["skus"]),
    ],
)
async def test_availability_rejects_bad_arguments(
    harness: Harness, network: Network, variables: dict, field: list[str]
) -> None:
    body = await harness.client.execute(AVAILABILITY, variables)
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["problems"][0]["field"] == field


PROMISE = """
query($input: DeliveryPromiseInput!) {
  deliveryPromise(input: $input) {
    options {
      method price { amount currencyCode } earliestDate latestDate readyAt deliverBy confidence
      packages {
        location { code } carrier service price { amount } weightGrams lines { sku quantity }
      }
    }
    unavailable { method reason detail }
    lines { sku requested networkAvailable message }
  }
}
"""


async def test_delivery_promise_offers_each_method_from_the_nearest_location_with_stock(
    harness: Harness, network: Network
) -> None:
    # A Wednesday morning in Chicago: same day is offered only while it can still arrive today.
    harness.services.clock = lambda: datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    promise = (
        await harness.graphql(
            PROMISE, {"input": {"lines": [{"sku": "TEE-001", "quantity": 2}], "destination": HOME}}
        )
    )["deliveryPromise"]
    options = {o["method"]: o for o in promise["options"]}
    assert set(options) == {"SHIP_STANDARD", "SHIP_EXPRESS", "SAME_DAY", "PICKUP", "CURBSIDE"}
    standard = options["SHIP_STANDARD"]
    assert standard["packages"][0]["location"]["code"] == "ST-LOOP"
    assert (
        standard["packages"][0]["carrier"] == "tablerate"
        and standard["packages"][0]["service"] == "GROUND"
    )
    assert standard["packages"][0]["weightGrams"] == 400
    assert (
        float(options["SHIP_EXPRESS"]["price"]["amount"]) > float(standard["price"]["amount"]) > 0
    )
    assert standard["earliestDate"] <= standard["latestDate"]
    assert (
        options["PICKUP"]["price"]["amount"] == "0.00" and options["PICKUP"]["readyAt"] is not None
    )
    assert (
        options["SAME_DAY"]["deliverBy"] is not None or options["SAME_DAY"]["method"] == "SAME_DAY"
    )
    assert promise["lines"] == [
        {"sku": "TEE-001", "requested": 2, "networkAvailable": 111, "message": "IN_STOCK"}
    ]


async def test_delivery_promise_explains_unavailable_methods(
    harness: Harness, network: Network
) -> None:
    lamps = {
        "lines": [{"sku": "LAMP-003", "quantity": 3}],
        "destination": HOME,
        "methods": ["PICKUP", "SHIP_STANDARD"],
    }
    promise = (await harness.graphql(PROMISE, {"input": lamps}))["deliveryPromise"]
    assert [o["method"] for o in promise["options"]] == ["SHIP_STANDARD"]
    assert promise["options"][0]["packages"][0]["location"]["code"] == "DC-JOLIET"
    assert [(u["method"], u["reason"]) for u in promise["unavailable"]] == [
        ("PICKUP", "INSUFFICIENT_STOCK")
    ]


async def test_the_order_goes_where_the_promise_said(harness: Harness, network: Network) -> None:
    promise = (
        await harness.graphql(
            PROMISE,
            {
                "input": {
                    "lines": [{"sku": "MUG-002", "quantity": 1}],
                    "destination": HOME,
                    "methods": ["SHIP_STANDARD"],
                }
            },
        )
    )["deliveryPromise"]
    promised = promise["options"][0]
    order = (await place(harness, 1, lines=[{"sku": "MUG-002", "quantity": 1}]))[0]
    assert [fo["location"]["code"] for fo in order["fulfillmentOrders"]] == [
        p["location"]["code"] for p in promised["packages"]
    ]
    assert (
        promised["earliestDate"]
        <= order["promised"]["earliest"]
        <= order["promised"]["latest"]
        <= promised["latestDate"]
    )
    assert order["shipping"]["amount"] == promised["price"]["amount"]


async def test_promise_input_errors(harness: Harness, network: Network) -> None:
    body = await harness.client.execute(
        PROMISE, {"input": {"lines": [{"sku": "NOPE", "quantity": 1}]}}
    )
    problems = body["errors"][0]["extensions"]["problems"]
    assert {(tuple(p["field"]), p["code"]) for p in problems} == {
        (("lines", "0", "sku"), "UNKNOWN_SKU"),
        (("destination",), "REQUIRED"),
    }


async def test_shipments_and_channels(harness: Harness, network: Network) -> None:
    order = (await place(harness, 1))[0]
    data = await harness.graphql(
        "query($id: ID!) { shipments(orderId: $id) { id } channels { code allowedMethods } }",
        {"id": order["id"]},
    )
    assert data["shipments"] == []
    assert [c["code"] for c in data["channels"]] == ["POS", "WEB"]
