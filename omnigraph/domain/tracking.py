"""Carrier tracking updates: which ones move a shipment, and when a fulfilment is delivered."""

from __future__ import annotations

from collections.abc import Iterable

from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.lifecycle import SHIPMENT_TRANSITIONS, check_transition
from omnigraph.domain.vocabulary import ShipmentStatus

# What a carrier may report through the tracking API; LABEL_CREATED is ours, not theirs.
REPORTABLE = frozenset(
    {
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.OUT_FOR_DELIVERY,
        ShipmentStatus.DELIVERED,
        ShipmentStatus.EXCEPTION,
        ShipmentStatus.RETURNED_TO_SENDER,
    }
)


def tracking_path(current: ShipmentStatus, reported: ShipmentStatus) -> tuple[ShipmentStatus, ...]:
    """The statuses to move through, in order, for a reported status.

    Empty when the update repeats the current status (another scan on the way: recorded,
    no transition). Carriers skip scans, so a parcel reported OUT_FOR_DELIVERY or DELIVERED
    straight from LABEL_CREATED passes IN_TRANSIT first, as it must have. Refuses anything
    the shipment state machine cannot reach (nothing moves after DELIVERED).
    """
    if reported not in REPORTABLE:
        raise DomainError.single(
            ("status",), ErrorCode.INVALID, f"carriers cannot report {reported.value}"
        )
    if reported == current:
        return ()
    if reported in SHIPMENT_TRANSITIONS[current]:
        return (reported,)
    via = ShipmentStatus.IN_TRANSIT
    if via in SHIPMENT_TRANSITIONS[current] and reported in SHIPMENT_TRANSITIONS[via]:
        return (via, reported)
    check_transition("shipment", SHIPMENT_TRANSITIONS, current, reported)
    raise AssertionError("unreachable: check_transition refuses a missing edge")


def all_delivered(statuses: Iterable[ShipmentStatus]) -> bool:
    """A fulfilment order is delivered once every one of its parcels is."""
    seen = list(statuses)
    return bool(seen) and all(status is ShipmentStatus.DELIVERED for status in seen)
