"""Checkout reservations: how long a hold lasts, when it counts as expired, what converts.

A reservation holds stock for a cart for a bounded time. Its life is ACTIVE, then exactly
one of RELEASED (the storefront let go, or the cart was re-reserved differently), EXPIRED
(its time ran out) or CONVERTED (an order took the held units over).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.orders import LineRequest
from omnigraph.domain.vocabulary import DeliveryMethod

# Long enough for a payment page and a 3-D Secure detour; short enough that abandoned
# carts do not sit on scarce stock for a whole afternoon.
MIN_TTL_SECONDS = 30
MAX_TTL_SECONDS = 2 * 60 * 60
DEFAULT_TTL_SECONDS = 15 * 60
MAX_CART_ID_LENGTH = 128


class ReservationStatus(StrEnum):
    ACTIVE = "ACTIVE"
    RELEASED = "RELEASED"
    EXPIRED = "EXPIRED"
    CONVERTED = "CONVERTED"


@dataclass(frozen=True, slots=True)
class HeldLine:
    """Units of one SKU held at one location."""

    location_id: int
    sku: str
    quantity: int


def reservation_ttl(ttl_seconds: int | None) -> timedelta:
    """The hold's lifetime; ``None`` means the default. Refuses values outside the bounds."""
    seconds = DEFAULT_TTL_SECONDS if ttl_seconds is None else ttl_seconds
    if not MIN_TTL_SECONDS <= seconds <= MAX_TTL_SECONDS:
        raise DomainError.single(
            ("ttlSeconds",),
            ErrorCode.OUT_OF_RANGE,
            f"ttlSeconds must be between {MIN_TTL_SECONDS} and {MAX_TTL_SECONDS}",
        )
    return timedelta(seconds=seconds)


def cart_id_problems(cart_id: str) -> list[Problem]:
    if not cart_id.strip():
        return [Problem(("cartId",), ErrorCode.REQUIRED, "cartId must not be empty")]
    if len(cart_id) > MAX_CART_ID_LENGTH:
        return [
            Problem(
                ("cartId",), ErrorCode.INVALID, f"cartId may be at most {MAX_CART_ID_LENGTH} long"
            )
        ]
    return []


def reservation_method(
    method: DeliveryMethod | None, pickup_location_id: int | None
) -> DeliveryMethod:
    """The method a hold is sourced for: collection when a pickup location is named."""
    if method is not None:
        return method
    return DeliveryMethod.PICKUP if pickup_location_id is not None else DeliveryMethod.SHIP_STANDARD


def placement_problems(
    method: DeliveryMethod, destination: GeoPoint | None, pickup_location_id: int | None
) -> list[Problem]:
    """A collection hold needs the pickup location; any other needs a destination."""
    if method.is_collection and pickup_location_id is None:
        return [
            Problem(("pickupLocationId",), ErrorCode.REQUIRED, f"{method.value} needs a location")
        ]
    if not method.is_collection and destination is None:
        return [
            Problem(("destination",), ErrorCode.REQUIRED, f"{method.value} needs a destination")
        ]
    return []


def request_fingerprint(
    lines: Iterable[LineRequest],
    method: DeliveryMethod,
    destination: GeoPoint | None,
    pickup_location_id: int | None,
) -> str:
    """Identifies what a cart asked to hold; the TTL is left out on purpose (see ``is_same``)."""
    payload = {
        "lines": sorted((line.sku, line.quantity) for line in lines),
        "method": method.value,
        # ~1 m: the same address geocoded twice must not count as a different cart.
        "destination": (
            [round(destination.latitude, 5), round(destination.longitude, 5)]
            if destination is not None
            else None
        ),
        "pickup": pickup_location_id,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def is_due(status: ReservationStatus, expires_at: datetime, now: datetime) -> bool:
    """An ACTIVE hold whose time is up; the sweeper and lazy expiry end exactly these."""
    return status is ReservationStatus.ACTIVE and expires_at <= now


def effective_status(
    status: ReservationStatus, expires_at: datetime, now: datetime
) -> ReservationStatus:
    """What a reader is told: a due hold is EXPIRED even before the sweeper got to it."""
    return ReservationStatus.EXPIRED if is_due(status, expires_at, now) else status


def check_active(status: ReservationStatus, expires_at: datetime, now: datetime) -> None:
    """Refuse to use a hold that has ended, with a code saying how it ended."""
    current = effective_status(status, expires_at, now)
    if current is ReservationStatus.EXPIRED:
        raise DomainError.single(
            ("reservationId",),
            ErrorCode.RESERVATION_EXPIRED,
            "the reservation expired; reserve the cart again",
        )
    if current is not ReservationStatus.ACTIVE:
        raise DomainError.single(
            ("reservationId",),
            ErrorCode.RESERVATION_NOT_ACTIVE,
            f"the reservation is {current.value}",
        )


def totals_by_sku(lines: Iterable[HeldLine]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for line in lines:
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return totals


def check_convertible(
    held: Sequence[HeldLine],
    ordered: Sequence[LineRequest],
    method: DeliveryMethod,
    pickup_location_id: int | None,
) -> None:
    """An order converts a hold only if it asks for exactly the held units, from where they are.

    Converting never re-checks stock against other buyers, so anything more or different
    than what is held would bypass the no-oversell guarantee: it is refused instead.
    """
    wanted: dict[str, int] = {}
    for line in ordered:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    have = totals_by_sku(held)
    if wanted != have:
        differences = ", ".join(
            f"{sku}: ordered {wanted.get(sku, 0)}, held {have.get(sku, 0)}"
            for sku in sorted(set(wanted) | set(have))
            if wanted.get(sku, 0) != have.get(sku, 0)
        )
        raise DomainError.single(
            ("lines",),
            ErrorCode.RESERVATION_MISMATCH,
            f"the order's lines differ from the reservation ({differences})",
        )
    locations = {line.location_id for line in held}
    if method.is_collection and locations != {pickup_location_id}:
        raise DomainError.single(
            ("pickupLocationId",),
            ErrorCode.RESERVATION_MISMATCH,
            "the reservation holds the stock at another location than the pickup location",
        )


def held_matches_plan(held: Sequence[HeldLine], planned: Mapping[tuple[int, str], int]) -> bool:
    """True when a sourcing plan takes exactly the held units from exactly their locations."""
    return {(line.location_id, line.sku): line.quantity for line in held} == dict(planned)
