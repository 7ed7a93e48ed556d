"""GraphQL documents and helpers shared by the order lifecycle tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from omnigraph.db.models import (
    InventoryLevel,
    InventoryMovement,
    Notification,
    OutboxEvent,
    TimelineEntry,
)
from omnigraph.messaging import MessageChannel
from omnigraph.testing import Harness
from tests.test_api_orders import CREATE, order_input
from tests.test_notifications import FakeMessenger

ORDER = """
query($id: ID!) {
  node(id: $id) { ... on Order {
    id number status
    fulfillmentOrders {
      id status kind location { id code }
      lines { quantity lineNumber product { sku } }
      pickList { lineNumber sku barcode bin quantity picked remaining }
    }
    shipments { id status trackingNumber carrier service fulfillmentOrder { id } }
    timeline { subjectType subjectId fromStatus toStatus actor reason details occurredAt }
    backorders { lineNumber quantity reason }
  } }
}
"""
FO_PAYLOAD = """
  fulfillmentOrder {
    id status
    pickList { lineNumber sku barcode bin quantity picked remaining }
    packages { number weightGrams lines { lineNumber quantity } shipmentId }
  }
  order { id status }
  replayed
  rerouted { id status location { code } lines { quantity product { sku } } }
  shipments { id trackingNumber status carrier service }
  userErrors { field code message }
"""
DECISION = """
query($id: ID!) {
  node(id: $id) { ... on Order {
    sourcingDecision { method chosen { packages { location { code } } } }
  } }
}
"""
RELEASE = """
mutation($input: ReleaseOrderInput!) {
  releaseOrder(input: $input) { order { id status } replayed userErrors { field code message } }
}
"""


def _fulfilment_mutation(name: str, input_type: str) -> str:
    return f"""
mutation($input: {input_type}!) {{
  {name}(input: $input) {{ {FO_PAYLOAD} }}
}}
"""


ACCEPT = _fulfilment_mutation("acceptFulfillmentOrder", "AcceptFulfillmentOrderInput")
REJECT = _fulfilment_mutation("rejectFulfillmentOrder", "RejectFulfillmentOrderInput")
SCAN = _fulfilment_mutation("scanItem", "ScanItemInput")
SHORT = _fulfilment_mutation("shortPick", "ShortPickInput")
PACK = _fulfilment_mutation("packFulfillmentOrder", "PackFulfillmentOrderInput")
READY = _fulfilment_mutation("markReadyForPickup", "MarkReadyForPickupInput")
HAND_OVER = _fulfilment_mutation("handOverFulfillmentOrder", "HandOverFulfillmentOrderInput")
SHIP = _fulfilment_mutation("shipFulfillmentOrder", "ShipFulfillmentOrderInput")
TRACK = """
mutation($input: RecordTrackingUpdateInput!) {
  recordTrackingUpdate(input: $input) {
    shipment { id status trackingEvents { status occurredAt description } }
    order { id status }
    replayed
    userErrors { field code message }
  }
}
"""


async def place(harness: Harness, order_input: dict[str, Any]) -> dict[str, Any]:
    payload = (await harness.graphql(CREATE, {"input": order_input}))["createOrder"]
    assert payload["userErrors"] == [], payload["userErrors"]
    return await read_order(harness, payload["order"]["id"])


async def place_pickup(
    harness: Harness, store_id: int, sku: str = "LAMP-003", quantity: int = 2
) -> dict[str, Any]:
    """A collection order of ``quantity`` ``sku`` at store ``store_id``, as placed."""
    return await place(
        harness,
        order_input(
            deliveryMethod="PICKUP",
            shippingAddress=None,
            pickupLocationId=str(store_id),
            lines=[{"sku": sku, "quantity": quantity}],
        ),
    )


async def read_order(harness: Harness, order_id: str) -> dict[str, Any]:
    node: dict[str, Any] = (await harness.graphql(ORDER, {"id": order_id}))["node"]
    return node


async def decided_at(harness: Harness, order_id: str) -> tuple[str, list[str]]:
    """The stored sourcing decision's method and the locations of its chosen plan."""
    node = (await harness.graphql(DECISION, {"id": order_id}))["node"]
    decision = node["sourcingDecision"]
    return decision["method"], [p["location"]["code"] for p in decision["chosen"]["packages"]]


async def act(harness: Harness, document: str, **values: Any) -> dict[str, Any]:
    """Run a lifecycle mutation and return its payload (whatever its userErrors)."""
    data = await harness.graphql(document, {"input": values})
    payload: dict[str, Any] = next(iter(data.values()))
    return payload


async def done(harness: Harness, document: str, **values: Any) -> dict[str, Any]:
    """Run a lifecycle mutation that must succeed."""
    payload = await act(harness, document, **values)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def pack_one_box(
    harness: Harness, fulfilment_id: str, quantity: int, line_number: int = 1
) -> dict[str, Any]:
    """Pack ``quantity`` units of one order line in a single box (must succeed)."""
    return await done(
        harness,
        PACK,
        fulfillmentOrderId=fulfilment_id,
        packages=[{"lines": [{"lineNumber": line_number, "quantity": quantity}]}],
    )


async def pick_and_pack(
    harness: Harness, fulfilment_id: str, barcode: str, quantity: int = 1, line_number: int = 1
) -> dict[str, Any]:
    """Accept a one-line fulfilment order (of order line ``line_number``), scan its
    ``quantity`` units and pack them in one box; the pack payload."""
    await done(harness, ACCEPT, fulfillmentOrderId=fulfilment_id)
    scanned = {"quantity": quantity} if quantity != 1 else {}
    await done(harness, SCAN, fulfillmentOrderId=fulfilment_id, barcode=barcode, **scanned)
    return await pack_one_box(harness, fulfilment_id, quantity, line_number)


async def stock(harness: Harness, location_id: int, product_id: int) -> tuple[int, int, int]:
    """(on hand, committed, damaged) of one level."""
    async with harness.services.db.read_session() as session:
        row = await session.scalar(
            select(InventoryLevel).where(
                InventoryLevel.location_id == location_id,
                InventoryLevel.product_id == product_id,
            )
        )
    if row is None:
        return (0, 0, 0)
    return (row.on_hand, row.committed, row.damaged)


@dataclass(frozen=True)
class Snapshot:
    events: int
    movements: int
    timeline: int
    levels: list[tuple[int, int, int, int, int]]


async def snapshot(harness: Harness) -> Snapshot:
    """Everything a refused call must leave as it was."""
    async with harness.services.db.read_session() as session:
        events = await session.scalar(select(func.count()).select_from(OutboxEvent))
        movements = await session.scalar(select(func.count()).select_from(InventoryMovement))
        timeline = await session.scalar(select(func.count()).select_from(TimelineEntry))
        levels = [
            (r.location_id, r.product_id, r.on_hand, r.committed, r.damaged)
            for r in await session.scalars(select(InventoryLevel).order_by(InventoryLevel.id))
        ]
    return Snapshot(int(events or 0), int(movements or 0), int(timeline or 0), levels)


async def events_since(
    harness: Harness, after: int, topics: Sequence[str] | None = None
) -> list[OutboxEvent]:
    async with harness.services.db.read_session() as session:
        query = select(OutboxEvent).where(OutboxEvent.id > after).order_by(OutboxEvent.id)
        if topics:
            query = query.where(OutboxEvent.topic.in_(list(topics)))
        return list(await session.scalars(query))


async def last_event_id(harness: Harness) -> int:
    async with harness.services.db.read_session() as session:
        return int(await session.scalar(select(func.max(OutboxEvent.id))) or 0)


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


class Notices:
    """What the customer is told, step by step: the messages the notifiers record.

    ``start`` (before the order is placed: the notifiers receive events from their first
    run on) gives the app a fake e-mail messenger; ``new`` delivers the pending events and
    returns the templates of the messages recorded since its last call, oldest first, each
    of them sent. ``mail`` holds what was sent, for the texts.
    """

    def __init__(self, harness: Harness, mail: FakeMessenger) -> None:
        self.harness = harness
        self.mail = mail
        self.seen = 0

    @classmethod
    async def start(cls, harness: Harness) -> Notices:
        mail = FakeMessenger()
        harness.services.messengers[MessageChannel.EMAIL] = mail
        notices = cls(harness, mail)
        await notices.new()
        return notices

    async def new(self) -> list[str]:
        await self.harness.app.state.dispatcher.run_once()
        async with self.harness.services.db.read_session() as session:
            rows = list(
                await session.scalars(
                    select(Notification)
                    .where(Notification.id > self.seen)
                    .order_by(Notification.id)
                )
            )
        if rows:
            self.seen = rows[-1].id
        assert all(row.state == "SENT" for row in rows), [(r.template, r.state) for r in rows]
        return [row.template for row in rows]
