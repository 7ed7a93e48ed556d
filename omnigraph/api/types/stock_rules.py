"""Inventory rules as the admin API shows them."""

import datetime

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.types.catalog import Location, Product
from omnigraph.db import models
from omnigraph.domain import stock_rules

SafetyStockScope = strawberry.enum(stock_rules.SafetyStockScope, description="Most specific first.")
CustomerTier = strawberry.enum(stock_rules.CustomerTier)


@strawberry.type(
    description="Units kept on the shelf by SKU or category at a location, type, or everywhere."
)
class SafetyStockRule:
    id: int
    quantity: int
    scope: SafetyStockScope  # type: ignore[valid-type]
    category: str | None
    location_type: str | None
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    location_id: strawberry.Private[int | None]
    product_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.SafetyStockRule) -> "SafetyStockRule":
        domain = stock_rules.SafetyStockRule(
            id=row.id,
            quantity=row.quantity,
            location_id=row.location_id,
            product_id=row.product_id,
            category=row.category,
            location_type=row.location_type,
        )
        return cls(
            id=row.id,
            quantity=row.quantity,
            scope=domain.scope,
            category=row.category,
            location_type=row.location_type,
            starts_on=row.starts_on,
            ends_on=row.ends_on,
            location_id=row.location_id,
            product_id=row.product_id,
        )

    @strawberry.field
    async def location(self, info: Info) -> Location | None:
        if self.location_id is None:
            return None
        return Location.from_row(await info.context.loaders.location_by_id.load(self.location_id))

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        if self.product_id is None:
            return None
        return Product.from_row(await info.context.loaders.product_by_id.load(self.product_id))


@strawberry.type(
    description="How much of the network's available stock a channel may see and sell."
)
class ChannelExposureRule:
    id: int
    channel: str
    percent: int | None
    cap: int | None
    category: str | None
    sku: str | None


@strawberry.type(description="Units held back network-wide for priority or B2B customers.")
class ProtectedStockRule:
    id: int
    quantity: int
    tiers: list[CustomerTier]  # type: ignore[valid-type]
    category: str | None
    sku: str | None


@strawberry.type
class InventoryRules:
    safety_stock: list[SafetyStockRule]
    channel_exposure: list[ChannelExposureRule]
    protected_stock: list[ProtectedStockRule]
