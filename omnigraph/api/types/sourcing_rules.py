"""Sourcing rules as the admin API shows them."""

import datetime

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.types.catalog import Location
from omnigraph.api.types.common import DeliveryMethod, LocationType, Money
from omnigraph.db import models
from omnigraph.db.models.sourcing import ALL_CHANNELS
from omnigraph.domain import vocabulary


@strawberry.type(description="Stock of a SKU at this location type is used only from `quantity`.")
class MinStockThreshold:
    location_type: LocationType  # type: ignore[valid-type]
    quantity: int


@strawberry.type(description="How one delivery method is sourced, for one channel or for all.")
class SourcingMethodRule:
    channel: str | None = strawberry.field(description="Null: every channel without its own rule.")
    method: DeliveryMethod  # type: ignore[valid-type]
    max_distance_km: float | None
    min_stock: list[MinStockThreshold]
    promise_business_days: int | None = strawberry.field(
        description="The SLA: business days to deliver (or be ready); 0 is today."
    )
    max_packages: int | None
    split_penalty: Money | None
    allow_backorder: bool
    updated_at: datetime.datetime

    @classmethod
    def from_row(cls, row: models.SourcingMethodRule, currency: str) -> "SourcingMethodRule":
        return cls(
            channel=None if row.channel == ALL_CHANNELS else row.channel,
            method=DeliveryMethod(row.method),
            max_distance_km=row.max_distance_km,
            min_stock=[
                MinStockThreshold(location_type=LocationType(k), quantity=v)
                for k, v in sorted((row.min_stock or {}).items())
            ],
            promise_business_days=row.promise_business_days,
            max_packages=row.max_packages,
            split_penalty=None
            if row.split_penalty_minor is None
            else Money.minor(row.split_penalty_minor, currency),
            allow_backorder=row.allow_backorder,
            updated_at=row.updated_at,
        )


@strawberry.type(description="Locations and location types a channel is never sourced from.")
class SourcingExclusion:
    channel: str
    location_types: list[LocationType]  # type: ignore[valid-type]
    location_ids: strawberry.Private[list[int]]

    @classmethod
    def from_row(cls, row: models.SourcingExclusion) -> "SourcingExclusion":
        return cls(
            channel=row.channel,
            location_types=[LocationType(vocabulary.LocationType(t)) for t in row.location_types],
            location_ids=list(row.location_ids),
        )

    @strawberry.field
    async def locations(self, info: Info) -> list[Location]:
        rows = await info.context.loaders.location_by_id.load_many(self.location_ids)
        return [Location.from_row(row) for row in rows if row is not None]


@strawberry.type(
    description="Ship from `prefer` locations unless `over` locations save more than `threshold`."
)
class SourcingMarginRule:
    threshold: Money
    prefer: LocationType  # type: ignore[valid-type]
    over: LocationType  # type: ignore[valid-type]

    @classmethod
    def from_row(cls, row: models.SourcingMarginRule, currency: str) -> "SourcingMarginRule":
        return cls(
            threshold=Money.minor(row.threshold_minor, currency),
            prefer=LocationType(row.prefer),
            over=LocationType(row.over),
        )


@strawberry.type(description="Every sourcing rule; methods without a rule use the defaults.")
class SourcingRules:
    methods: list[SourcingMethodRule]
    exclusions: list[SourcingExclusion]
    margin: SourcingMarginRule | None
