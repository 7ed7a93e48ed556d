"""Pick lists, packages, backordered units and transfers of an order's fulfilment."""

import datetime

import strawberry

from omnigraph.api.context import Info
from omnigraph.api.ids import encode_id
from omnigraph.api.types.catalog import Location
from omnigraph.db import models
from omnigraph.services.pick_lists import PickListLine as PickListLineView


@strawberry.type(description="One line to pick: where it sits (when known) and how far along.")
class PickListLine:
    line_number: int
    sku: str
    name: str
    barcode: str | None
    bin: str | None = strawberry.field(description="Bin or aisle at the location, when known.")
    quantity: int
    picked: int
    remaining: int

    @classmethod
    def of(cls, view: PickListLineView) -> "PickListLine":
        return cls(
            line_number=view.line_number,
            sku=view.sku,
            name=view.name,
            barcode=view.barcode,
            bin=view.bin,
            quantity=view.quantity,
            picked=view.picked,
            remaining=view.quantity - view.picked,
        )


@strawberry.type
class PackageLine:
    order_line_id: strawberry.Private[int]
    quantity: int

    @strawberry.field
    async def line_number(self, info: Info) -> int:
        line = await info.context.loaders.order_line_by_id.load(self.order_line_id)
        return int(line.line_number)


@strawberry.type(description="A parcel packed from a fulfilment order.")
class Package:
    number: int
    weight_grams: int
    lines: list[PackageLine]
    shipment_id: strawberry.ID | None

    @classmethod
    def from_row(cls, row: models.Package) -> "Package":
        return cls(
            number=row.number,
            weight_grams=row.weight_grams,
            lines=[
                PackageLine(order_line_id=int(line_id), quantity=int(quantity))
                for line_id, quantity in row.contents.items()
            ],
            shipment_id=strawberry.ID(encode_id("Shipment", row.shipment_id))
            if row.shipment_id
            else None,
        )


@strawberry.type(
    description="Units waiting for stock: left by a rejection or short pick that no location "
    "could take, or captured against incoming supply at a location (then filled when it is "
    "received)."
)
class Backorder:
    quantity: int
    reason: str | None
    expected_on: datetime.date | None = strawberry.field(
        description="When the supply the units wait for is expected at the location."
    )
    arrives_on: datetime.date | None = strawberry.field(
        description="When the units reach the customer once that supply is in."
    )
    filled_at: datetime.datetime | None = strawberry.field(
        description="When received supply filled it (a fulfilment order took the units)."
    )
    order_line_id: strawberry.Private[int]
    location_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.Backorder) -> "Backorder":
        return cls(
            quantity=row.quantity,
            reason=row.reason,
            expected_on=row.expected_on,
            arrives_on=row.arrives_on,
            filled_at=row.filled_at,
            order_line_id=row.order_line_id,
            location_id=row.location_id,
        )

    @strawberry.field(description="Where the units wait for supply; none after a rejection.")
    async def location(self, info: Info) -> Location | None:
        if self.location_id is None:
            return None
        return Location.from_row(await info.context.loaders.location_by_id.load(self.location_id))

    @strawberry.field
    async def line_number(self, info: Info) -> int:
        line = await info.context.loaders.order_line_by_id.load(self.order_line_id)
        return int(line.line_number)


@strawberry.type(description="A store-to-store transfer: where the units go, and by when.")
class TransferDetails:
    expected_arrival: datetime.date
    received_at: datetime.datetime | None
    destination_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Transfer) -> "TransferDetails":
        return cls(
            expected_arrival=row.expected_arrival,
            received_at=row.received_at,
            destination_id=row.destination_location_id,
        )

    @strawberry.field
    async def destination(self, info: Info) -> Location:
        return Location.from_row(
            await info.context.loaders.location_by_id.load(self.destination_id)
        )
