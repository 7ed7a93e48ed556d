"""What a checkout hold is asked for and what callers see of one.

The request and the view are made for every hold, so they are plain (not frozen) slotted
dataclasses: a frozen one pays an ``object.__setattr__`` call per field to be built. Treat
them as values all the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.orders import LineRequest
from omnigraph.domain.reservations import HeldLine, ReservationStatus
from omnigraph.domain.vocabulary import DeliveryMethod
from omnigraph.services.inventory import StockCommit


@dataclass(slots=True)
class ReservationRequest:
    cart_id: str
    lines: Sequence[LineRequest]
    destination: GeoPoint | None = None
    pickup_location_id: int | None = None
    method: DeliveryMethod | None = None
    ttl_seconds: int | None = None
    actor: str | None = None
    # Who is checking out: protected stock always applies; a channel's exposure applies
    # when the channel is named.
    channel: str | None = None
    customer_email: str | None = None


@dataclass(frozen=True, slots=True)
class ReservedLine:
    location_id: int
    product_id: int
    sku: str
    quantity: int

    @property
    def commit(self) -> StockCommit:
        return StockCommit(self.location_id, self.product_id, self.sku, self.quantity)

    @property
    def held(self) -> HeldLine:
        return HeldLine(self.location_id, self.sku, self.quantity)


@dataclass(slots=True)
class ReservationView:
    """A reservation as callers see it; ``status`` already counts a due hold as EXPIRED."""

    id: int
    cart_id: str
    status: ReservationStatus
    delivery_method: DeliveryMethod
    pickup_location_id: int | None
    expires_at: datetime
    created_at: datetime
    ended_at: datetime | None
    order_id: int | None
    lines: tuple[ReservedLine, ...]
