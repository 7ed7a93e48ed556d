"""Inventory levels and availability."""

import datetime

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.types.catalog import AtLocation, Location, Product
from omnigraph.api.types.common import StockMessage
from omnigraph.api.types.stock import StockStatus
from omnigraph.api.types.stock_rules import SafetyStockRule
from omnigraph.domain.inventory import StockLevel
from omnigraph.services import availability as availability_service


@strawberry.type(description="Every quantity state of one SKU at one location.")
class InventoryLevel(AtLocation):
    on_hand: int
    committed: int = strawberry.field(description="Held by orders.")
    reserved: int = strawberry.field(description="Held by checkouts, with an expiry.")
    safety_stock: int
    damaged: int
    incoming: int
    incoming_expected_at: datetime.datetime | None = None
    available: int = strawberry.field(
        description="on hand - committed - reserved - safety stock - damaged, never below zero."
    )

    @classmethod
    def of(
        cls,
        stock: StockLevel,
        location_id: int,
        product_id: int,
        incoming_expected_at: datetime.datetime | None = None,
    ) -> "InventoryLevel":
        return cls(
            on_hand=stock.on_hand,
            committed=stock.committed,
            reserved=stock.reserved,
            safety_stock=stock.safety_stock,
            damaged=stock.damaged,
            incoming=stock.incoming,
            incoming_expected_at=incoming_expected_at,
            available=stock.available,
            location_id=location_id,
            product_id=product_id,
        )

    @strawberry.field(description="The rule that set safetyStock; null when none applies.")
    async def safety_stock_rule(self, info: Info) -> SafetyStockRule | None:
        loaders = info.context.loaders
        level = await loaders.level_by_location_product.load((self.location_id, self.product_id))
        if level is None or level.safety_stock_rule_id is None:
            return None
        rule = await loaders.safety_stock_rule_by_id.load(level.safety_stock_rule_id)
        return SafetyStockRule.from_row(rule) if rule is not None else None


@strawberry.type
class LocationAvailability:
    location: Location
    available: int
    on_hand: int
    distance_km: float | None
    stock: StockStatus = strawberry.field(description="Stock messaging for this location.")

    @classmethod
    def of(cls, entry: availability_service.LocationStock) -> "LocationAvailability":
        return cls(
            location=Location.from_row(entry.location, entry.distance_km),
            available=entry.stock.available,
            on_hand=entry.stock.on_hand,
            distance_km=round(entry.distance_km, 3) if entry.distance_km is not None else None,
            stock=StockStatus.of(entry.signal),
        )


@strawberry.type(
    description="What can be sold of one SKU, in the network and location by location."
)
class SkuAvailability:
    sku: str
    product: Product | None
    network_available: int = strawberry.field(description="Available in every location together.")
    sellable: int = strawberry.field(
        description="What the channel may sell to the customer: less protected stock, within "
        "the channel's exposure. Order capture enforces it."
    )
    nearby_available: int = strawberry.field(
        description="Within the radius asked for (or the network)."
    )
    message: StockMessage  # type: ignore[valid-type]
    locations: list[LocationAvailability] = strawberry.field(description="Locations with stock.")
    stock: StockStatus = strawberry.field(description="Stock messaging for what is sellable.")

    @classmethod
    def of(cls, answer: availability_service.SkuAvailability) -> "SkuAvailability":
        return cls(
            sku=answer.sku,
            product=Product.from_row(answer.product) if answer.product is not None else None,
            network_available=answer.network_available,
            sellable=answer.sellable,
            nearby_available=answer.nearby_available,
            message=StockMessage(answer.message),
            locations=[LocationAvailability.of(e) for e in answer.locations],
            stock=StockStatus.of(answer.signal),
        )
