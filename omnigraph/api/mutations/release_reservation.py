"""releaseReservation: give a checkout's held stock back before it expires."""

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.errors import UserError, to_user_errors
from omnigraph.api.ids import decode_id
from omnigraph.api.types.reservations import Reservation
from omnigraph.domain.errors import DomainError
from omnigraph.services import reservations


@strawberry.input
class ReleaseReservationInput:
    reservation_id: strawberry.ID


@strawberry.type
class ReleaseReservationPayload:
    reservation: Reservation | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def release_reservation(
    info: Info, input: ReleaseReservationInput
) -> ReleaseReservationPayload:
    try:
        view = await reservations.release_reservation(
            info.context.services,
            decode_id(input.reservation_id, "Reservation", ("reservationId",)),
            actor=info.context.actor,
        )
    except DomainError as error:
        return ReleaseReservationPayload(user_errors=to_user_errors(error))
    return ReleaseReservationPayload(reservation=Reservation.of(view))
