"""reserveInventory: hold a cart's stock during checkout and say where it is held."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.ids import decode_id
from omnigraph.api.inputs import LineInput, geo_point
from omnigraph.api.types.common import DeliveryMethod, GeoPointInput
from omnigraph.api.types.reservations import Reservation
from omnigraph.domain import vocabulary
from omnigraph.domain.errors import DomainError
from omnigraph.domain.orders import LineRequest
from omnigraph.domain.reservations import DEFAULT_TTL_SECONDS, MAX_TTL_SECONDS, MIN_TTL_SECONDS
from omnigraph.services import reservations


@strawberry.input
class ReserveInventoryInput:
    cart_id: str = strawberry.field(
        description="The storefront's cart id. One ACTIVE reservation per cart: the same "
        "request again extends it; a different one replaces it."
    )
    lines: list[LineInput]
    destination: GeoPointInput | None = strawberry.field(
        default=None, description="Where the cart ships to (for delivery methods)."
    )
    pickup_location_id: strawberry.ID | None = strawberry.field(
        default=None, description="The store the customer collects from (PICKUP, CURBSIDE)."
    )
    channel: str | None = strawberry.field(
        default=None,
        description="The channel checking out: its exposure rules apply to the hold.",
    )
    customer_email: str | None = strawberry.field(
        default=None,
        description="The customer checking out: priority and B2B customers may hold "
        "protected stock.",
    )
    delivery_method: DeliveryMethod | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="Defaults to PICKUP with a pickup location, else SHIP_STANDARD.",
    )
    ttl_seconds: int | None = strawberry.field(
        default=None,
        description=f"How long to hold, {MIN_TTL_SECONDS} to {MAX_TTL_SECONDS} seconds; "
        f"default {DEFAULT_TTL_SECONDS}.",
    )


@strawberry.type
class ReserveInventoryPayload:
    reservation: Reservation | None = None
    replayed: bool = strawberry.field(
        default=False, description="True when the cart's identical hold was extended."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _request(data: ReserveInventoryInput, actor: str) -> reservations.ReservationRequest:
    return reservations.ReservationRequest(
        cart_id=data.cart_id,
        lines=[LineRequest(line.sku, line.quantity) for line in data.lines],
        destination=geo_point(data.destination, ("destination",)),
        pickup_location_id=(
            decode_id(data.pickup_location_id, "Location", ("pickupLocationId",))
            if data.pickup_location_id
            else None
        ),
        method=vocabulary.DeliveryMethod(data.delivery_method) if data.delivery_method else None,
        ttl_seconds=data.ttl_seconds,
        channel=data.channel,
        customer_email=data.customer_email,
        actor=actor,
    )


async def reserve_inventory(info: Info, input: ReserveInventoryInput) -> ReserveInventoryPayload:
    try:
        outcome = await reservations.reserve_inventory(
            info.context.services, _request(input, info.context.actor)
        )
    except DomainError as error:
        return ReserveInventoryPayload(user_errors=to_user_errors(error))
    return ReserveInventoryPayload(
        reservation=Reservation.of(outcome.reservation), replayed=outcome.replayed
    )
