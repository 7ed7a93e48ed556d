"""An order request checked against the catalogue and sourced: what capture and a change
inside the remorse window do alike before they persist anything."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.mapping import capabilities_of, channel_policy_of, point_of, price_of
from omnigraph.db.models import Channel, Location, Product
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.orders import CatalogFacts, OrderRequest, validate_order
from omnigraph.domain.promise import PlanRefusal
from omnigraph.services.network import StockedLocation, to_candidates
from omnigraph.services.promise import MethodQuote, quote_method
from omnigraph.services.sourcing import SourcingInputs

if TYPE_CHECKING:
    from omnigraph.services.core import Services


async def pickup_of(session: AsyncSession, request: OrderRequest) -> Location | None:
    """The store a collection is picked up at; None for a delivery or an unknown id."""
    if not request.method.is_collection or request.pickup_location_id is None:
        return None
    return await session.get(Location, request.pickup_location_id)


def validate_request(
    request: OrderRequest,
    channel: Channel | None,
    products: dict[str, Product],
    pickup: Location | None,
) -> None:
    """Raise the request's problems (unknown channel or SKU, a store that cannot serve it)."""
    validate_order(
        request,
        CatalogFacts(
            channel=channel_policy_of(channel) if channel else None,
            prices={sku: price_of(p) for sku, p in products.items()},
            pickup_capabilities=capabilities_of(pickup) if pickup else None,
            pickup_location_known=pickup is not None,
        ),
    )


def destination_of(request: OrderRequest, pickup: Location | None) -> GeoPoint:
    """Where a validated request goes: the pickup store or the delivery address."""
    if pickup is not None:
        return point_of(pickup)
    point = request.shipping_address.point if request.shipping_address else None
    if point is None:  # validate_order requires coordinates for delivery methods
        raise RuntimeError("a validated delivery order has no coordinates")
    return point


async def quote_request(
    services: Services,
    request: OrderRequest,
    products: dict[str, Product],
    stocked: Sequence[StockedLocation],
    pickup: Location | None,
    now: datetime,
    *,
    currency: str,
    inputs: SourcingInputs | None,
    backorders: bool = False,
) -> MethodQuote | PlanRefusal:
    """Source the request's lines from ``stocked`` for its method, now; ``inputs`` None
    sources without stored rules. With ``backorders``, lines short now may wait for incoming
    supply when the method's rules allow it or the request asks for a later date (its
    ``requested_date``); without, every unit must be committed at once."""
    destination = destination_of(request, pickup)
    address = request.shipping_address
    return await quote_method(
        services,
        request.method,
        {line.sku: line.quantity for line in request.lines},
        products,
        to_candidates(stocked, destination),
        {s.location.id: s.location for s in stocked},
        destination,
        address.postal_code if address else None,
        now,
        pickup_location_id=pickup.id if pickup else None,
        currency=currency,
        channel=request.channel,
        inputs=inputs,
        requested_on=request.requested_date,
        backorders=backorders,
    )
