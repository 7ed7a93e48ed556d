"""Shipping a packed fulfilment order through a carrier, and carrier tracking updates.

Labels are bought outside any transaction (a carrier is a remote API), then the shipments
are written in one unit of work that checks the fulfilment order is still PACKED. The
label reference is stable per package, so a retried call buys the same label again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select

from omnigraph.carriers import Carrier, CarrierError, Label, LabelRequest, RateRequest
from omnigraph.db.mapping import point_of
from omnigraph.db.models import FulfillmentOrder, Location, Order, Package, Shipment, Transfer
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.lifecycle import FULFILLMENT_TRANSITIONS, check_transition
from omnigraph.domain.orders import order_number
from omnigraph.domain.promise import CARRIER_SERVICE
from omnigraph.domain.tracking import all_delivered, tracking_path
from omnigraph.domain.vocabulary import (
    DeliveryMethod,
    FulfillmentKind,
    FulfillmentStatus,
    ShipmentStatus,
)
from omnigraph.events.types import Topic
from omnigraph.services.fulfilment_stock import sell, send_transfer
from omnigraph.services.fulfilment_work import stock_lines
from omnigraph.services.timeline import Subject, record_change
from omnigraph.services.transitions import (
    locked_fulfilment,
    locked_order,
    move_fulfilment,
    move_shipment,
    roll_up,
)
from omnigraph.services.unit_of_work import UnitOfWork
from omnigraph.services.work_outcome import WorkOutcome

if TYPE_CHECKING:
    from omnigraph.services.core import Services

F = FulfillmentStatus
_FIELD = ("fulfillmentOrderId",)


@dataclass(frozen=True, slots=True)
class _Parcel:
    package_id: int
    request: LabelRequest


def package_reference(fulfilment_id: int, number: int) -> str:
    return f"FO{fulfilment_id}-P{number}"


async def _parcels(
    services: Services, fulfilment_id: int, service: str | None
) -> tuple[list[_Parcel], RateRequest | None]:
    """Label requests for the packages still without a shipment; checks the state first."""
    async with services.db.read_session() as session:
        fulfilment = await session.get(FulfillmentOrder, fulfilment_id)
        if fulfilment is None:
            raise DomainError.single(_FIELD, ErrorCode.NOT_FOUND, "no such fulfilment order")
        if fulfilment.status == F.SHIPPED:
            return [], None
        if fulfilment.kind == FulfillmentKind.PICKUP.value:
            raise DomainError.single(
                _FIELD,
                ErrorCode.INVALID_TRANSITION,
                f"a {fulfilment.kind} fulfilment order is collected, not shipped",
            )
        check_transition(
            "fulfilment order", FULFILLMENT_TRANSITIONS, F(fulfilment.status), F.SHIPPED, _FIELD
        )
        order = await session.get(Order, fulfilment.order_id)
        origin = await session.get(Location, fulfilment.location_id)
        assert order is not None and origin is not None
        transfer = await session.get(Transfer, fulfilment.id)
        postal_code: str | None
        if transfer is not None:
            # A transfer travels to the receiving store, by the standard ground service.
            store = await session.get(Location, transfer.destination_location_id)
            assert store is not None
            chosen = service or CARRIER_SERVICE[DeliveryMethod.SHIP_STANDARD]
            destination, postal_code = point_of(store), store.postal_code
        else:
            if order.ship_latitude is None or order.ship_longitude is None:
                raise RuntimeError(f"order {order.id} ships but has no coordinates")
            chosen = service or CARRIER_SERVICE[DeliveryMethod(order.delivery_method)]
            destination = GeoPoint(order.ship_latitude, order.ship_longitude)
            postal_code = order.ship_postal_code
        packages = list(
            await session.scalars(
                select(Package)
                .where(Package.fulfillment_order_id == fulfilment.id)
                .order_by(Package.number)
            )
        )
        parcels = [
            _Parcel(
                package.id,
                LabelRequest(
                    shipment_reference=package_reference(fulfilment.id, package.number),
                    service=chosen,
                    origin=point_of(origin),
                    origin_postal_code=origin.postal_code,
                    destination=destination,
                    destination_postal_code=postal_code,
                    weight_grams=package.weight_grams,
                    currency=order.currency,
                ),
            )
            for package in packages
            if package.shipment_id is None
        ]
        rate = RateRequest(
            origin=point_of(origin),
            origin_postal_code=origin.postal_code,
            destination=destination,
            destination_postal_code=postal_code,
            weight_grams=max((p.weight_grams for p in packages), default=0),
            services=(chosen,),
            currency=order.currency,
        )
        return parcels, rate


async def _carrier(services: Services, code: str | None, rate: RateRequest) -> Carrier:
    """The named carrier, or the one with the cheapest offer for the service."""
    if code is not None:
        for carrier in services.carriers:
            if carrier.code == code:
                return carrier
        known = ", ".join(sorted(c.code for c in services.carriers)) or "none"
        raise DomainError.single(
            ("carrier",), ErrorCode.INVALID, f"no carrier {code!r} (installed: {known})"
        )
    best: tuple[int, str, Carrier] | None = None
    for carrier in services.carriers:
        for offer in await carrier.rates(rate):
            if offer.service in rate.services and (best is None or offer.price.minor < best[0]):
                best = (offer.price.minor, carrier.code, carrier)
    if best is None:
        raise DomainError.single(
            ("service",),
            ErrorCode.CARRIER_REFUSED,
            f"no carrier offers {', '.join(rate.services)} for this route",
        )
    return best[2]


async def ship(
    services: Services,
    fulfilment_id: int,
    *,
    carrier_code: str | None = None,
    service: str | None = None,
    actor: str | None = None,
) -> WorkOutcome:
    """Ship a packed fulfilment order: a label and a shipment (LABEL_CREATED) per package,
    the units sold, PACKED -> SHIPPED, and the order rolled up (PARTIALLY_FULFILLED or
    FULFILLED). Shipping a shipped fulfilment order again changes nothing."""
    parcels, rate = await _parcels(services, fulfilment_id, service)
    labels: list[tuple[_Parcel, Label]] = []
    if rate is not None and parcels:
        carrier = await _carrier(services, carrier_code, rate)
        for parcel in parcels:
            try:
                labels.append((parcel, await carrier.buy_label(parcel.request)))
            except CarrierError as error:
                raise DomainError.single(
                    ("carrier",), ErrorCode.CARRIER_REFUSED, f"{error.code}: {error.message}"
                ) from error
    async with services.unit_of_work(actor=actor) as uow:
        fulfilment, order = await locked_fulfilment(uow, fulfilment_id)
        existing = tuple(
            await uow.session.scalars(
                select(Shipment)
                .where(Shipment.fulfillment_order_id == fulfilment.id)
                .order_by(Shipment.id)
            )
        )
        if fulfilment.status == F.SHIPPED:
            return WorkOutcome(fulfilment, order, replayed=True, shipments=existing)
        if not labels:
            raise DomainError.single(
                _FIELD, ErrorCode.PACKING_MISMATCH, "the fulfilment order has no package to ship"
            )
        check_transition(
            "fulfilment order", FULFILLMENT_TRANSITIONS, F(fulfilment.status), F.SHIPPED, _FIELD
        )
        now = uow.now()
        created: list[Shipment] = []
        for parcel, label in labels:
            shipment = Shipment(
                order_id=order.id,
                fulfillment_order_id=fulfilment.id,
                carrier=label.carrier,
                service=label.service,
                tracking_number=label.tracking_number,
                status=ShipmentStatus.LABEL_CREATED.value,
                label_url=label.label_url,
                cost_minor=label.cost.minor,
                currency=label.cost.currency,
                tracking_events=[],
                created_at=now,
                updated_at=now,
            )
            uow.session.add(shipment)
            await uow.session.flush()
            package = await uow.session.get(Package, parcel.package_id)
            assert package is not None
            package.shipment_id = shipment.id
            created.append(shipment)
            facts = {
                "shipmentId": shipment.id,
                "orderId": order.id,
                "number": order_number(order.id),
                "fulfillmentOrderId": fulfilment.id,
                "carrier": label.carrier,
                "service": label.service,
                "trackingNumber": label.tracking_number,
                "labelUrl": label.label_url,
            }
            uow.record(Topic.SHIPMENT_CREATED, "shipment", shipment.id, facts, order_id=order.id)
            record_change(
                uow,
                order_id=order.id,
                subject=Subject.SHIPMENT,
                subject_id=shipment.id,
                before=None,
                after=ShipmentStatus.LABEL_CREATED.value,
                reason="label bought",
                details=facts,
                publish=False,
            )
        lines = await stock_lines(uow, fulfilment)
        transfer = await uow.session.get(Transfer, fulfilment.id)
        if transfer is not None:
            note = f"transfer for {order_number(order.id)}"
            await send_transfer(uow, lines, transfer.destination_location_id, note)
        else:
            await sell(uow, lines, f"shipped, {order_number(order.id)}")
        move_fulfilment(
            uow,
            fulfilment,
            F.SHIPPED,
            "handed to the carrier",
            details={"trackingNumbers": [s.tracking_number for s in created]},
        )
        await roll_up(uow, order, "shipped")
        await uow.commit()
        return WorkOutcome(fulfilment, order, shipments=(*existing, *created))


@dataclass(frozen=True, slots=True)
class TrackingOutcome:
    shipment: Shipment
    order: Order
    replayed: bool = False


async def record_tracking(
    services: Services,
    tracking_number: str,
    status: ShipmentStatus,
    occurred_at: datetime,
    description: str | None = None,
    location: str | None = None,
    actor: str | None = None,
) -> TrackingOutcome:
    """A carrier's tracking update: appended to the shipment's events, moving its status
    when it changes. When every parcel of a fulfilment order is DELIVERED, the fulfilment
    order is too and the order rolls up (all delivered completes it). The same update sent
    again (same status and time) changes nothing."""
    number = tracking_number.strip()
    async with services.unit_of_work(actor=actor) as uow:
        order_id = await uow.session.scalar(
            select(Shipment.order_id).where(Shipment.tracking_number == number)
        )
        if order_id is None:
            raise DomainError.single(
                ("trackingNumber",), ErrorCode.NOT_FOUND, f"no shipment with tracking {number}"
            )
        order = await locked_order(uow, order_id)
        query = select(Shipment).where(Shipment.tracking_number == number)
        if not uow.is_sqlite:
            query = query.with_for_update()
        shipment = await uow.session.scalar(query)
        assert shipment is not None
        event = {
            "status": status.value,
            "occurredAt": occurred_at.isoformat(),
            "description": description or "",
            "location": location or "",
        }
        known = shipment.tracking_events or []
        if any(
            e.get("status") == event["status"] and e.get("occurredAt") == event["occurredAt"]
            for e in known
        ):
            return TrackingOutcome(shipment, order, replayed=True)
        path = tracking_path(ShipmentStatus(shipment.status), status)
        shipment.tracking_events = [*known, event]
        shipment.updated_at = uow.now()
        for step in path:
            move_shipment(
                uow,
                shipment,
                step,
                description or f"carrier reported {status.value}",
                details={"occurredAt": event["occurredAt"], "location": location},
            )
        if ShipmentStatus.DELIVERED in path and shipment.fulfillment_order_id is not None:
            await _deliver_if_complete(uow, shipment.fulfillment_order_id, order)
        await uow.session.flush()
        await uow.commit()
        return TrackingOutcome(shipment, order)


async def _deliver_if_complete(uow: UnitOfWork, fulfilment_id: int, order: Order) -> None:
    await uow.session.flush()
    statuses = [
        ShipmentStatus(s)
        for s in await uow.session.scalars(
            select(Shipment.status).where(Shipment.fulfillment_order_id == fulfilment_id)
        )
    ]
    fulfilment, _ = await locked_fulfilment(uow, fulfilment_id)
    if fulfilment.kind == FulfillmentKind.TRANSFER.value:
        return  # the receiving store confirms a transfer (receiveTransfer), not the carrier
    if all_delivered(statuses) and fulfilment.status == F.SHIPPED:
        move_fulfilment(uow, fulfilment, F.DELIVERED, "every parcel delivered")
        await roll_up(uow, order, "delivered")


async def is_transfer_shipment(services: Services, fulfilment_id: int | None) -> bool:
    """Whether a shipment carries a store-to-store transfer: its parcels go to a store, not
    to the customer, so the customer is told when the order is ready, not about them."""
    if fulfilment_id is None:
        return False
    async with services.db.read_session() as session:
        kind = await session.scalar(
            select(FulfillmentOrder.kind).where(FulfillmentOrder.id == fulfilment_id)
        )
    return kind == FulfillmentKind.TRANSFER.value
