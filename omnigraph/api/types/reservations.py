"""Checkout reservations: where a cart's units are held, and until when."""

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

import strawberry
from strawberry import relay

from omnigraph.api.context import Info
from omnigraph.api.errors import NotFound
from omnigraph.api.types.catalog import AtLocation
from omnigraph.api.types.common import DeliveryMethod
from omnigraph.domain import reservations as domain
from omnigraph.services import reservations

ReservationStatus = strawberry.enum(
    domain.ReservationStatus,
    description="ACTIVE holds stock; RELEASED, EXPIRED and CONVERTED (into an order) do not.",
)


@strawberry.type(description="Units of one SKU held at one location.")
class ReservationLine(AtLocation):
    quantity: int


@strawberry.type(description="A checkout's hold on stock, with an expiry.")
class Reservation(relay.Node):
    id: relay.NodeID[int]
    cart_id: str
    status: ReservationStatus = strawberry.field(  # type: ignore[valid-type]
        description="An ACTIVE hold past its expiry already reads EXPIRED."
    )
    delivery_method: DeliveryMethod  # type: ignore[valid-type]
    expires_at: datetime.datetime
    created_at: datetime.datetime
    ended_at: datetime.datetime | None
    lines: list[ReservationLine] = strawberry.field(description="Where the units are held.")

    @classmethod
    def of(cls, view: reservations.ReservationView) -> "Reservation":
        return cls(
            id=view.id,
            cart_id=view.cart_id,
            status=ReservationStatus(view.status),
            delivery_method=DeliveryMethod(view.delivery_method),
            expires_at=view.expires_at,
            created_at=view.created_at,
            ended_at=view.ended_at,
            lines=[
                ReservationLine(
                    quantity=line.quantity,
                    location_id=line.location_id,
                    product_id=line.product_id,
                )
                for line in view.lines
            ],
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> Sequence[Any]:
        keys = [int(node_id) if str(node_id).isdigit() else 0 for node_id in node_ids]
        views = await reservations.get_reservations(info.context.services, keys)
        nodes = [cls.of(view) if view is not None else None for view in views]
        if required and any(node is None for node in nodes):
            raise NotFound("no node with that id")
        return nodes
