"""Every table, importable from one place for Alembic and the services."""

from omnigraph.db.models.base import Base
from omnigraph.db.models.catalog import Channel, Customer, Location, Product
from omnigraph.db.models.events import EventCursor, OutboxEvent
from omnigraph.db.models.inventory import InventoryLevel, InventoryMovement
from omnigraph.db.models.notifications import Notification
from omnigraph.db.models.orders import (
    FulfillmentOrder,
    FulfillmentOrderLine,
    Order,
    OrderLine,
    Shipment,
)
from omnigraph.db.models.reservations import Reservation, ReservationLine
from omnigraph.db.models.stock_rules import ChannelExposureRule, ProtectedStockRule, SafetyStockRule

__all__ = [
    "Base",
    "Channel",
    "ChannelExposureRule",
    "Customer",
    "EventCursor",
    "FulfillmentOrder",
    "FulfillmentOrderLine",
    "InventoryLevel",
    "InventoryMovement",
    "Location",
    "Notification",
    "Order",
    "OrderLine",
    "OutboxEvent",
    "Product",
    "ProtectedStockRule",
    "Reservation",
    "ReservationLine",
    "SafetyStockRule",
    "Shipment",
]
