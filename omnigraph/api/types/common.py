"""Shared GraphQL values: money, addresses, coordinates, enums."""

from decimal import Decimal

import strawberry

from omnigraph.domain import vocabulary
from omnigraph.domain.money import Money as DomainMoney
from omnigraph.domain.money import decimal_amount
from omnigraph.domain.promise import StockMessage as DomainStockMessage

OrderStatus = strawberry.enum(vocabulary.OrderStatus, description="Where an order is in its life.")
FulfillmentStatus = strawberry.enum(vocabulary.FulfillmentStatus)
FulfillmentKind = strawberry.enum(vocabulary.FulfillmentKind)
ShipmentStatus = strawberry.enum(vocabulary.ShipmentStatus)
DeliveryMethod = strawberry.enum(vocabulary.DeliveryMethod)
LocationType = strawberry.enum(vocabulary.LocationType)
Capability = strawberry.enum(vocabulary.Capability)
InventoryBucket = strawberry.enum(
    vocabulary.InventoryBucket, description="A quantity state of an inventory level."
)
MovementReason = strawberry.enum(vocabulary.MovementReason)
PaymentStatus = strawberry.enum(vocabulary.PaymentStatus)
StockMessage = strawberry.enum(
    DomainStockMessage, description="What a storefront may say about stock."
)


@strawberry.type(description="An amount of money: a decimal string and an ISO 4217 currency code.")
class Money:
    amount: Decimal
    currency_code: str

    @classmethod
    def of(cls, value: DomainMoney) -> "Money":
        return cls(amount=value.amount, currency_code=value.currency)

    @classmethod
    def minor(cls, minor: int, currency: str) -> "Money":
        return cls(amount=decimal_amount(minor, currency), currency_code=currency)


@strawberry.type
class Coordinates:
    latitude: float
    longitude: float


@strawberry.input(description="A point on the map, in decimal degrees.")
class GeoPointInput:
    latitude: float
    longitude: float


@strawberry.type
class Address:
    name: str | None
    line1: str | None
    line2: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    phone: str | None
    coordinates: Coordinates | None
