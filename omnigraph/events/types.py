"""Event values as plugins and subscribers see them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Topic(StrEnum):
    ORDER_CREATED = "order.created"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_STATUS_CHANGED = "order.status_changed"
    ORDER_BACKORDERED = "order.backordered"
    ORDER_LINES_CANCELLED = "order.lines_cancelled"
    ORDER_CHANGED = "order.changed"
    FULFILLMENT_CREATED = "fulfillment.created"
    FULFILLMENT_STATUS_CHANGED = "fulfillment.status_changed"
    FULFILLMENT_RELEASED = "fulfillment.released"
    SHIPMENT_CREATED = "shipment.created"
    SHIPMENT_STATUS_CHANGED = "shipment.status_changed"
    RETURN_STATUS_CHANGED = "return.status_changed"
    SLA_BREACHED = "sla.breached"
    INVENTORY_CHANGED = "inventory.changed"
    INVENTORY_COUNTED = "inventory.counted"


@dataclass(frozen=True, slots=True)
class Event:
    """One committed state change, as stored in the outbox.

    ``id`` grows monotonically, so a consumer that remembers the last id it handled can
    resume exactly where it stopped.
    """

    id: int
    topic: str
    aggregate_type: str
    aggregate_id: int
    order_id: int | None
    payload: Mapping[str, Any]
    actor: str | None
    occurred_at: datetime
