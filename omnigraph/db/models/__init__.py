"""Every table, importable from one place for Alembic and the services."""

from omnigraph.db.models.base import Base
from omnigraph.db.models.catalog import Channel, Customer, Location, Product
from omnigraph.db.models.events import EventCursor, OutboxEvent
from omnigraph.db.models.fulfilment import (
    Backorder,
    Handover,
    Package,
    PickEvent,
    ProductBin,
    TimelineEntry,
    Transfer,
)
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
from omnigraph.db.models.returns import Return, ReturnLine
from omnigraph.db.models.sla import SlaBreach
from omnigraph.db.models.sourcing import (
    OrderSourcingDecision,
    SourcingExclusion,
    SourcingMarginRule,
    SourcingMethodRule,
)
from omnigraph.db.models.stock_rules import ChannelExposureRule, ProtectedStockRule, SafetyStockRule

__all__ = [
    "Backorder",
    "Base",
    "Channel",
    "ChannelExposureRule",
    "Customer",
    "EventCursor",
    "FulfillmentOrder",
    "FulfillmentOrderLine",
    "Handover",
    "InventoryLevel",
    "InventoryMovement",
    "Location",
    "Notification",
    "Order",
    "OrderLine",
    "OrderSourcingDecision",
    "OutboxEvent",
    "Package",
    "PickEvent",
    "Product",
    "ProductBin",
    "ProtectedStockRule",
    "Reservation",
    "ReservationLine",
    "Return",
    "ReturnLine",
    "SafetyStockRule",
    "Shipment",
    "SlaBreach",
    "SourcingExclusion",
    "SourcingMarginRule",
    "SourcingMethodRule",
    "TimelineEntry",
    "Transfer",
]
