"""The rows and event payloads of a captured order, built the same way by both capture paths
(the general one in ``orders``, the express one in ``express_orders``; a fulfilment order's
event is ``fulfilment_orders.fulfilment_created_payload``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from omnigraph.db.mapping import set_address
from omnigraph.db.models import Channel, Order
from omnigraph.db.raw_rows import new_row
from omnigraph.domain.orders import OrderRequest, OrderTotals, PricedLine, order_number
from omnigraph.domain.vocabulary import OrderStatus
from omnigraph.services.sla import promised_ship_by

if TYPE_CHECKING:
    from omnigraph.services.promise import MethodQuote


def new_order(
    request: OrderRequest,
    channel: Channel,
    customer_id: int,
    totals: OrderTotals,
    own: MethodQuote | None,
    fingerprint: str | None,
    now: datetime,
) -> Order:
    """The order's row as captured: PENDING through the channel's remorse window, else
    CONFIRMED, promised the window of its own plan (None when all of it is transferred)."""
    in_remorse = channel.remorse_minutes > 0
    order = new_row(
        Order,
        channel_id=channel.id,
        customer_id=customer_id,
        status=(OrderStatus.PENDING if in_remorse else OrderStatus.CONFIRMED).value,
        delivery_method=request.method.value,
        pickup_location_id=request.pickup_location_id,
        currency=totals.total.currency,
        subtotal_minor=totals.subtotal.minor,
        shipping_minor=totals.shipping.minor,
        total_minor=totals.total.minor,
        promised_earliest=own.window.earliest if own is not None else None,
        promised_latest=own.window.latest if own is not None else None,
        idempotency_key=request.idempotency_key,
        request_fingerprint=fingerprint,
        external_reference=request.external_reference,
        remorse_ends_at=now + timedelta(minutes=channel.remorse_minutes),
        payment_status=request.payment_status.value,
        ship_by=promised_ship_by(own, own.window.latest, now) if own is not None else None,
        created_at=now,
        updated_at=now,
    )
    set_address(order, request.shipping_address)
    return order


def order_created_payload(
    order: Order,
    channel: Channel,
    request: OrderRequest,
    totals: OrderTotals,
    priced: Sequence[PricedLine],
    location_ids: Sequence[int],
    transfers: Sequence[Mapping[str, object]] = (),
    backorders: Sequence[Mapping[str, object]] = (),
) -> dict[str, Any]:
    """What ``order.created`` tells its consumers."""
    return {
        "orderId": order.id,
        "number": order_number(order.id),
        "status": order.status,
        "channel": channel.code,
        "deliveryMethod": order.delivery_method,
        "paymentStatus": order.payment_status,
        **({"carriedOut": True} if request.carried_out else {}),
        "total": {"amount": str(totals.total.amount), "currencyCode": totals.total.currency},
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in priced],
        "locationIds": list(location_ids),
        **({"transfers": list(transfers)} if transfers else {}),
        **({"backorders": list(backorders)} if backorders else {}),
    }
