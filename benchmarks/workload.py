"""The benchmarks' GraphQL workload: the documents, their variables, and the set-up they need.

Shared by ``http_load.py`` (over loopback HTTP) and ``schema_caches.py`` (in process over the
ASGI transport): both call ``prepare`` with an ``httpx.AsyncClient`` bound to a server that
holds the demo network, so both measure the same queries on the same data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

# Replaced in the createOrder body by a number unique to the request.
SEQ = "__SEQ__"
JSON_HEADERS = {"content-type": "application/json", "accept": "application/json"}
# The demo network has a handful of orders; the orders page should be full.
ORDERS_PAGE = 20
# Far more than any run can sell, so createOrder never fails for want of stock.
DC_TOP_UP = 1_000_000

BOSTON = {"latitude": 42.3601, "longitude": -71.0589}
# Next to the Columbus DC: orders are sourced from it, where the top-up went.
COLUMBUS_ADDRESS = {
    "name": "Load Test",
    "line1": "90 W Broad St",
    "city": "Columbus",
    "region": "OH",
    "postalCode": "43215",
    "country": "US",
    "latitude": 39.9612,
    "longitude": -82.9988,
}

TRIVIAL = "{ channels { code } }"
PROMISE = """
query Promise($lines: [LineInput!]!, $destination: GeoPointInput!) {
  deliveryPromise(input: {lines: $lines, destination: $destination}) {
    options {
      method
      price { amount currencyCode }
      earliestDate
      latestDate
      readyAt
      packages { location { code } carrier service }
    }
    unavailable { method reason detail }
    lines { sku networkAvailable message }
  }
}
"""
ORDERS = """
query RecentOrders($first: Int!) {
  orders(first: $first) {
    edges {
      cursor
      node {
        number status createdAt
        channel { code }
        customer { email }
        total { amount currencyCode }
        lines { quantity unitPrice { amount } product { sku name } }
        fulfillmentOrders {
          status kind
          location { code name address { city } }
          lines { quantity product { sku } }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""
CREATE_ORDER = """
mutation PlaceOrder($input: CreateOrderInput!) {
  createOrder(input: $input) {
    order {
      id number status
      total { amount currencyCode }
      promised { earliest latest }
      fulfillmentOrders { status location { code name } lines { quantity product { sku } } }
    }
    userErrors { field code message }
  }
}
"""

_PICK_SKUS = """
query Pick($skus: [String!]!, $near: GeoPointInput!) {
  availability(skus: $skus, near: $near, radiusKm: 25, locationsLimit: 1) {
    sku product { category } locations { available location { code } }
  }
}
"""
_SKUS = "{ products(first: 100) { edges { node { sku } } } }"
_DC = "{ locations(first: 5, filter: {types: [DC]}) { edges { node { id code } } } }"
_ADJUST = """
mutation TopUp($input: AdjustInventoryInput!) {
  adjustInventory(input: $input) { inventoryLevel { available } userErrors { code message } }
}
"""


class SetUpError(RuntimeError):
    """The server's data does not allow the workload (too little stock, a failed call)."""


@dataclass(frozen=True, slots=True)
class Request:
    """One GraphQL request of a scenario."""

    query: str
    variables: dict[str, Any]

    def body(self) -> bytes:
        return json.dumps({"query": self.query, "variables": self.variables}).encode()


@dataclass(frozen=True, slots=True)
class Workload:
    skus: tuple[str, ...]
    trivial: Request
    promise: Request
    orders: Request
    # Holds SEQ in the idempotency key and the customer's e-mail.
    create_order: Request


async def _data(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> Any:
    response = await client.post(
        "/graphql", content=Request(query, variables or {}).body(), headers=JSON_HEADERS
    )
    response.raise_for_status()
    body = response.json()
    if body.get("errors"):
        raise SetUpError(f"set-up request failed: {body['errors']}")
    return body["data"]


def order_input(skus: Sequence[str]) -> dict[str, Any]:
    return {
        "channel": "WEB",
        "deliveryMethod": "SHIP_STANDARD",
        "idempotencyKey": f"load-{SEQ}",
        "customer": {"email": f"load-{SEQ}@example.com", "name": "Load Test"},
        "lines": [{"sku": sku, "quantity": 1} for sku in skus],
        "shippingAddress": COLUMBUS_ADDRESS,
    }


def numbered(body: bytes, seq: str) -> bytes:
    return body.replace(SEQ.encode(), seq.encode())


async def pick_skus(client: httpx.AsyncClient, count: int = 3) -> tuple[str, ...]:
    """SKUs of different categories that the store nearest Boston has a few of."""
    skus = [edge["node"]["sku"] for edge in (await _data(client, _SKUS))["products"]["edges"]]
    rows = (await _data(client, _PICK_SKUS, {"skus": skus, "near": BOSTON}))["availability"]
    chosen: dict[str, str] = {}
    for row in rows:
        near = row["locations"]
        if near and near[0]["available"] >= 3 and row["product"]["category"] not in chosen:
            chosen[row["product"]["category"]] = row["sku"]
    if len(chosen) < count:
        raise SetUpError("the demo network has too few SKUs in stock near Boston")
    return tuple(chosen.values())[:count]


async def prepare(client: httpx.AsyncClient, skus: Sequence[str] = ()) -> Workload:
    """Top up the DC, fill the orders page, check orders ship from the DC; the requests.

    ``client`` talks to a server holding the demo network. Pass the ``skus`` an earlier
    ``prepare`` chose to give a second server exactly the same workload.
    """
    chosen = tuple(skus) or await pick_skus(client)
    dc = (await _data(client, _DC))["locations"]["edges"][0]["node"]
    for sku in chosen:
        top_up = {
            "locationId": dc["id"],
            "sku": sku,
            "delta": DC_TOP_UP,
            "reason": "RECEIPT",
            "source": "benchmarks",
        }
        adjusted = (await _data(client, _ADJUST, {"input": top_up}))["adjustInventory"]
        if adjusted["userErrors"]:
            raise SetUpError(f"could not top up {sku}: {adjusted['userErrors']}")
    create_order = Request(CREATE_ORDER, {"input": order_input(chosen)})
    for index in range(ORDERS_PAGE):
        variables = json.loads(
            numbered(json.dumps(create_order.variables).encode(), f"seed{index}")
        )
        payload = (await _data(client, CREATE_ORDER, variables))["createOrder"]
        if payload["userErrors"]:
            raise SetUpError(f"placing an order failed: {payload['userErrors']}")
        sources = {fo["location"]["code"] for fo in payload["order"]["fulfillmentOrders"]}
        if sources != {dc["code"]}:
            raise SetUpError(f"orders ship from {sources}, not from {dc['code']}")
    orders = Request(ORDERS, {"first": ORDERS_PAGE})
    page = (await _data(client, orders.query, orders.variables))["orders"]["edges"]
    if len(page) != ORDERS_PAGE:
        raise SetUpError(f"the orders page has {len(page)} orders, not {ORDERS_PAGE}")
    lines = [{"sku": sku, "quantity": 1} for sku in chosen]
    return Workload(
        skus=chosen,
        trivial=Request(TRIVIAL, {}),
        promise=Request(PROMISE, {"lines": lines, "destination": BOSTON}),
        orders=orders,
        create_order=create_order,
    )
