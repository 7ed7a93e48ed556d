"""A handful of demo orders, placed and cancelled through the service layer like real ones.

Orders go through ``create_order`` so they are sourced, priced, committed and announced
exactly as a storefront's would be. Each order uses SKUs no other demo order uses, picked
from what the network was loaded with, so every order finds its stock.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from omnigraph.db.models import Order
from omnigraph.demo.cities import CITIES, City, suburb
from omnigraph.demo.network import DemoNetwork
from omnigraph.demo.rows import LocationRow, ProductRow
from omnigraph.domain.orders import Address, CustomerDetails, LineRequest, OrderRequest
from omnigraph.domain.vocabulary import Capability, ChannelCode, DeliveryMethod, OrderStatus
from omnigraph.services.orders import cancel_order, create_order

if TYPE_CHECKING:
    from omnigraph.services.core import Services

C, M = ChannelCode, DeliveryMethod
# The order mix, repeated when more orders are asked for: every channel, every method a
# demo can place at any hour (same-day is left out: after the cut-off it cannot be sold).
MIX: tuple[tuple[ChannelCode, DeliveryMethod], ...] = (
    (C.WEB, M.SHIP_STANDARD),
    (C.WEB, M.PICKUP),
    (C.APP, M.CURBSIDE),
    (C.POS, M.PICKUP),
    (C.APP, M.SHIP_EXPRESS),
    (C.CALL_CENTER, M.SHIP_STANDARD),
    (C.WEB, M.CURBSIDE),
    (C.CALL_CENTER, M.PICKUP),
)
# The second order is the one its customer changes their mind about.
CANCELLED_POSITION = 1
CANCEL_REASON = "Customer changed their mind"

FIRST_NAMES = (
    "Avery",
    "Jordan",
    "Maria",
    "James",
    "Priya",
    "Wei",
    "Olivia",
    "Mateo",
    "Aisha",
    "Ethan",
    "Sofia",
    "Noah",
    "Grace",
    "Diego",
    "Hannah",
    "Malik",
)
LAST_NAMES = (
    "Johnson",
    "Garcia",
    "Nguyen",
    "Patel",
    "Smith",
    "Kim",
    "Brown",
    "Martinez",
    "Okafor",
    "Williams",
    "Chen",
    "Davis",
    "Lopez",
    "Anderson",
    "Rossi",
    "Cohen",
)
HOME_STREETS = (
    "Maple St",
    "Cedar Ln",
    "Oak Dr",
    "Pine St",
    "Willow Way",
    "Birch Rd",
    "Hillcrest Ave",
    "Lakeview Dr",
    "Meadow Ln",
    "Sunset Blvd",
    "Chestnut St",
    "Magnolia Ct",
)


class DemoStockError(RuntimeError):
    """The network has too little stock left for the requested demo order."""


@dataclass
class _Stock:
    """What the network was loaded with, minus the SKUs earlier demo orders took."""

    sellable: dict[int, dict[int, int]]
    used: set[int]

    @classmethod
    def of(cls, network: DemoNetwork) -> _Stock:
        sellable: dict[int, dict[int, int]] = {}
        for level in network.levels:
            if level.sellable > 0:
                sellable.setdefault(level.location_id, {})[level.product_id] = level.sellable
        return cls(sellable, set())

    def free_at(self, location_id: int) -> dict[int, int]:
        return {
            product_id: units
            for product_id, units in self.sellable.get(location_id, {}).items()
            if product_id not in self.used
        }


class _Planner:
    def __init__(self, network: DemoNetwork, rng: random.Random) -> None:
        self.network = network
        self.rng = rng
        self.stock = _Stock.of(network)
        self.products = {product.id: product for product in network.products}
        by_label = {(city.name, city.state): city for city in CITIES}
        served = {by_label[(loc.city, loc.region)] for loc in network.locations}
        # Customers live where the retailer trades, in the lower 48 where ground parcels go.
        continental = [city for city in served if city.is_continental]
        if not continental:
            continental = [city for city in CITIES if city.is_continental]
        self.home_cities = sorted(continental, key=lambda city: (city.state, city.name))

    def lines(self, free: dict[int, int]) -> list[LineRequest]:
        """One to three SKUs from ``free`` (product id -> units), marked used."""
        wanted = self.rng.choice((1, 1, 2, 2, 3))
        choices = sorted(free)
        if len(choices) < wanted:
            raise DemoStockError("not enough distinct SKUs in stock for a demo order")
        lines = []
        for product_id in self.rng.sample(choices, wanted):
            product: ProductRow = self.products[product_id]
            quantity = 2 if free[product_id] >= 4 and self.rng.random() < 0.25 else 1
            self.stock.used.add(product_id)
            lines.append(LineRequest(product.sku, quantity))
        return lines

    def collection_point(self, method: DeliveryMethod) -> LocationRow:
        capable = [
            loc
            for loc in self.network.locations
            if method.capability.value in loc.capabilities and self.stock.free_at(loc.id)
        ]
        if not capable:
            raise DemoStockError(f"no location offers {method.value} with stock left")
        return self.rng.choice(capable)

    def shippable(self) -> dict[int, int]:
        """Units of each unused SKU at its best-stocked shipping location."""
        best: dict[int, int] = {}
        for loc in self.network.locations:
            if Capability.SHIP.value in loc.capabilities:
                for product_id, units in self.stock.free_at(loc.id).items():
                    best[product_id] = max(best.get(product_id, 0), units)
        return best

    def customer(self, number: int) -> CustomerDetails:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        return CustomerDetails(
            email=f"{first}.{last}.{number}@example.com".lower(), name=f"{first} {last}"
        )

    def address(self, customer: CustomerDetails) -> Address:
        city: City = self.rng.choice(self.home_cities)
        home = suburb(city, self.rng, 2.0, 12.0)
        line2 = None
        if self.rng.random() < 0.3:
            line2 = f"Apt {self.rng.randint(1, 30)}{self.rng.choice('ABCD')}"
        return Address(
            name=customer.name or customer.email,
            line1=f"{self.rng.randrange(10, 9999)} {self.rng.choice(HOME_STREETS)}",
            line2=line2,
            city=city.name,
            region=city.state,
            postal_code=city.postal_code,
            country="US",
            latitude=home.latitude,
            longitude=home.longitude,
        )

    def request(self, number: int, channel: ChannelCode, method: DeliveryMethod) -> OrderRequest:
        customer = self.customer(number)
        pickup: LocationRow | None = None
        if method.is_collection:
            pickup = self.collection_point(method)
            lines = self.lines(self.stock.free_at(pickup.id))
        else:
            lines = self.lines(self.shippable())
        return OrderRequest(
            channel=channel.value,
            method=method,
            lines=lines,
            customer=customer,
            shipping_address=None if pickup else self.address(customer),
            pickup_location_id=pickup.id if pickup else None,
            idempotency_key=f"demo-{self.network.spec.seed}-{number}",
            external_reference=f"DEMO-{number:04d}",
        )


def order_mix(count: int, can_ship: bool) -> list[tuple[ChannelCode, DeliveryMethod]]:
    """The first ``count`` orders of the mix; shipping needs a carrier plugin to quote it."""
    usable = [entry for entry in MIX if can_ship or entry[1].is_collection]
    return [usable[index % len(usable)] for index in range(count)]


async def place_demo_orders(
    services: Services, network: DemoNetwork, count: int = 8
) -> Sequence[Order]:
    """Place ``count`` orders across channels and methods, then cancel the second one.

    Call it on the network just loaded. Web, app and call-centre orders stay PENDING in their
    remorse window, point-of-sale orders are CONFIRMED at once, the cancelled one is
    CANCELLED with its stock released. Idempotency keys make a second call return the same
    orders instead of placing more.
    """
    planner = _Planner(network, random.Random(f"omnigraph-demo/{network.spec.seed}/orders"))
    orders: list[Order] = []
    for number, (channel, method) in enumerate(order_mix(count, bool(services.carriers)), start=1):
        outcome = await create_order(services, planner.request(number, channel, method))
        orders.append(outcome.order)
    if len(orders) > CANCELLED_POSITION:
        chosen = orders[CANCELLED_POSITION]
        if chosen.status != OrderStatus.CANCELLED.value:
            orders[CANCELLED_POSITION] = await cancel_order(
                services, chosen.id, CANCEL_REASON, actor="demo"
            )
    return orders
