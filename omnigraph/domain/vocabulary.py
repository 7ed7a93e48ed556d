"""The shared vocabulary of ../DESIGN: channels, locations, methods and states."""

from __future__ import annotations

from enum import StrEnum


class ChannelCode(StrEnum):
    WEB = "WEB"
    APP = "APP"
    MARKETPLACE = "MARKETPLACE"
    POS = "POS"
    CALL_CENTER = "CALL_CENTER"
    B2B_PORTAL = "B2B_PORTAL"
    EDI = "EDI"


class LocationType(StrEnum):
    DC = "DC"
    STORE = "STORE"
    DARK_STORE = "DARK_STORE"
    THREE_PL = "THREE_PL"
    DROP_SHIP_VENDOR = "DROP_SHIP_VENDOR"


class Capability(StrEnum):
    SHIP = "SHIP"
    PICKUP = "PICKUP"
    CURBSIDE = "CURBSIDE"
    SAME_DAY = "SAME_DAY"
    RETURNS = "RETURNS"


class DeliveryMethod(StrEnum):
    SHIP_STANDARD = "SHIP_STANDARD"
    SHIP_EXPRESS = "SHIP_EXPRESS"
    SAME_DAY = "SAME_DAY"
    PICKUP = "PICKUP"
    CURBSIDE = "CURBSIDE"

    @property
    def capability(self) -> Capability:
        return _METHOD_CAPABILITY[self]

    @property
    def is_collection(self) -> bool:
        """The customer comes to the location (pickup or curbside)."""
        return self in (DeliveryMethod.PICKUP, DeliveryMethod.CURBSIDE)


_METHOD_CAPABILITY = {
    DeliveryMethod.SHIP_STANDARD: Capability.SHIP,
    DeliveryMethod.SHIP_EXPRESS: Capability.SHIP,
    DeliveryMethod.SAME_DAY: Capability.SAME_DAY,
    DeliveryMethod.PICKUP: Capability.PICKUP,
    DeliveryMethod.CURBSIDE: Capability.CURBSIDE,
}


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    RELEASED = "RELEASED"
    IN_PROGRESS = "IN_PROGRESS"
    PARTIALLY_FULFILLED = "PARTIALLY_FULFILLED"
    FULFILLED = "FULFILLED"
    COMPLETED = "COMPLETED"
    ON_HOLD = "ON_HOLD"
    BACKORDERED = "BACKORDERED"
    CANCELLED = "CANCELLED"


class FulfillmentStatus(StrEnum):
    OPEN = "OPEN"
    RELEASED = "RELEASED"
    ACCEPTED = "ACCEPTED"
    PICKING = "PICKING"
    PACKED = "PACKED"
    READY_FOR_PICKUP = "READY_FOR_PICKUP"
    SHIPPED = "SHIPPED"
    PICKED_UP = "PICKED_UP"
    DELIVERED = "DELIVERED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class FulfillmentKind(StrEnum):
    SHIP = "SHIP"
    PICKUP = "PICKUP"
    TRANSFER = "TRANSFER"


class ShipmentStatus(StrEnum):
    LABEL_CREATED = "LABEL_CREATED"
    IN_TRANSIT = "IN_TRANSIT"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    DELIVERED = "DELIVERED"
    EXCEPTION = "EXCEPTION"
    RETURNED_TO_SENDER = "RETURNED_TO_SENDER"


class PaymentStatus(StrEnum):
    AUTHORIZED = "AUTHORIZED"
    ON_HOLD = "ON_HOLD"
    PAID = "PAID"


class InventoryBucket(StrEnum):
    """The quantity states of an inventory level; each ledger movement changes one of them."""

    ON_HAND = "ON_HAND"
    COMMITTED = "COMMITTED"
    RESERVED = "RESERVED"
    SAFETY_STOCK = "SAFETY_STOCK"
    DAMAGED = "DAMAGED"
    INCOMING = "INCOMING"


class MovementReason(StrEnum):
    SALE = "SALE"
    COMMIT = "COMMIT"
    RELEASE = "RELEASE"
    RECEIPT = "RECEIPT"
    ADJUSTMENT = "ADJUSTMENT"
    CYCLE_COUNT = "CYCLE_COUNT"
    TRANSFER_OUT = "TRANSFER_OUT"
    TRANSFER_IN = "TRANSFER_IN"
    RETURN_RESTOCK = "RETURN_RESTOCK"
    DAMAGE = "DAMAGE"
    RESERVATION = "RESERVATION"
    SAFETY_STOCK = "SAFETY_STOCK"
    INITIAL_LOAD = "INITIAL_LOAD"
