"""A small, readable network for API tests: one DC and three stores around Chicago."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from omnigraph.db.models import Channel, InventoryLevel, InventoryMovement, Location, Product
from omnigraph.domain.vocabulary import InventoryBucket
from omnigraph.services.core import Services

WEEK = {day: [["08:00", "22:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
ALL_METHODS = ["SHIP_STANDARD", "SHIP_EXPRESS", "SAME_DAY", "PICKUP", "CURBSIDE"]
# A Chicago customer's doorstep.
HOME = {"latitude": 41.8827, "longitude": -87.6233}


@dataclass(frozen=True)
class Network:
    dc: int
    loop: int
    evanston: int
    oak_park: int
    skus: tuple[str, ...]


def _location(
    id_: int, code: str, type_: str, city: str, lat: float, lon: float, capabilities: list[str]
) -> Location:
    return Location(
        id=id_,
        code=code,
        name=f"{city} {type_.title()}",
        type=type_,
        address_line1=f"{id_} Test Ave",
        city=city,
        region="IL",
        postal_code="60601",
        country="US",
        latitude=lat,
        longitude=lon,
        timezone="America/Chicago",
        opening_hours=WEEK,
        holidays=[],
        capabilities=capabilities,
        cutoff_time="23:59",
        processing_minutes=60,
        pick_cost_minor=150,
        currency="USD",
        daily_capacity=500,
    )


async def build_network(
    services: Services, stock: dict[tuple[int, str], int] | None = None
) -> Network:
    """Stock defaults: the DC has everything; stores hold a little of some SKUs."""
    stock = (
        stock
        if stock is not None
        else {
            (1, "TEE-001"): 100,
            (1, "MUG-002"): 40,
            (1, "LAMP-003"): 10,
            (2, "TEE-001"): 3,
            (2, "MUG-002"): 1,
            (3, "TEE-001"): 8,
            (4, "LAMP-003"): 2,
        }
    )
    async with services.unit_of_work() as uow:
        session = uow.session
        session.add_all(
            [
                Channel(
                    id=1,
                    code="WEB",
                    name="Web store",
                    remorse_minutes=30,
                    allowed_methods=ALL_METHODS,
                ),
                Channel(
                    id=2, code="POS", name="Stores", remorse_minutes=0, allowed_methods=["PICKUP"]
                ),
            ]
        )
        session.add_all(
            [
                _location(1, "DC-JOLIET", "DC", "Joliet", 41.525, -88.0817, ["SHIP", "RETURNS"]),
                _location(
                    2,
                    "ST-LOOP",
                    "STORE",
                    "Chicago",
                    41.8837,
                    -87.6289,
                    ["SHIP", "PICKUP", "CURBSIDE", "SAME_DAY"],
                ),
                _location(
                    3, "ST-EVANSTON", "STORE", "Evanston", 42.0451, -87.6877, ["SHIP", "PICKUP"]
                ),
                _location(4, "ST-OAKPARK", "STORE", "Oak Park", 41.885, -87.7845, ["PICKUP"]),
            ]
        )
        session.add_all(
            [
                Product(
                    id=1,
                    sku="TEE-001",
                    name="Organic Cotton Tee",
                    category="apparel",
                    barcode="4006381333931",
                    weight_grams=200,
                    price_minor=2500,
                    currency="USD",
                ),
                Product(
                    id=2,
                    sku="MUG-002",
                    name="Stoneware Mug",
                    category="home",
                    barcode="4006381333948",
                    weight_grams=450,
                    price_minor=1450,
                    currency="USD",
                ),
                Product(
                    id=3,
                    sku="LAMP-003",
                    name="Brass Desk Lamp",
                    category="home",
                    barcode="4006381333955",
                    weight_grams=2300,
                    price_minor=8900,
                    currency="USD",
                ),
            ]
        )
        await session.flush()
        product_ids = {"TEE-001": 1, "MUG-002": 2, "LAMP-003": 3}
        for (location_id, sku), quantity in stock.items():
            session.add(
                InventoryLevel(
                    location_id=location_id, product_id=product_ids[sku], on_hand=quantity
                )
            )
            session.add(
                InventoryMovement(
                    location_id=location_id,
                    product_id=product_ids[sku],
                    bucket="ON_HAND",
                    delta=quantity,
                    reason="INITIAL_LOAD",
                    source="test",
                )
            )
        await uow.commit()
    return Network(dc=1, loop=2, evanston=3, oak_park=4, skus=("TEE-001", "MUG-002", "LAMP-003"))


async def ledger_discrepancies(services: Services) -> list[tuple[int, int, str, int, int]]:
    """Every (location, product, bucket, level quantity, ledger sum) that disagrees.

    Levels are the running sum of the append-only ledger; an empty list means every bucket
    of every level reconciles with its movements.
    """
    async with services.db.read_session() as session:
        sums = {
            (row.location_id, row.product_id, row.bucket): int(row.total)
            for row in await session.execute(
                select(
                    InventoryMovement.location_id,
                    InventoryMovement.product_id,
                    InventoryMovement.bucket,
                    func.sum(InventoryMovement.delta).label("total"),
                ).group_by(
                    InventoryMovement.location_id,
                    InventoryMovement.product_id,
                    InventoryMovement.bucket,
                )
            )
        }
        levels = list(await session.scalars(select(InventoryLevel)))
    wrong = []
    for level in levels:
        for bucket in InventoryBucket:
            quantity = int(getattr(level, bucket.value.lower()))
            ledger = sums.pop((level.location_id, level.product_id, bucket.value), 0)
            if quantity != ledger:
                wrong.append((level.location_id, level.product_id, bucket.value, quantity, ledger))
    # Movements for a level that does not exist do not reconcile either.
    wrong.extend((loc, prod, bucket, 0, total) for (loc, prod, bucket), total in sums.items())
    return wrong
