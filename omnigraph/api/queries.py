"""The root Query: each field parses its arguments, calls one service and maps the result."""

import strawberry
from strawberry import relay

from omnigraph.api.connections import as_bad_input, connection_of
from omnigraph.api.context import Info
from omnigraph.api.errors import BadUserInput
from omnigraph.api.ids import decode_cursor, decode_id
from omnigraph.api.inputs import (
    DeliveryPromiseInput,
    LocationFilterInput,
    OrderFilterInput,
    ProductFilterInput,
    geo_point,
)
from omnigraph.api.types.catalog import Channel, Location, Product
from omnigraph.api.types.common import GeoPointInput
from omnigraph.api.types.inventory import InventoryLevel, SkuAvailability
from omnigraph.api.types.orders import Order, Shipment
from omnigraph.api.types.promise import DeliveryPromise, LineStock, PromiseOption, UnavailableMethod
from omnigraph.api.types.reconciliation import InventoryReconciliation
from omnigraph.api.types.reservations import Reservation
from omnigraph.api.types.simulation import SimulateSourcingInput, SourcingSimulation
from omnigraph.api.types.sla import LateOrder, late_orders
from omnigraph.api.types.sourcing_rules import (
    SourcingExclusion,
    SourcingMarginRule,
    SourcingMethodRule,
    SourcingRules,
)
from omnigraph.api.types.stock import StockStatus
from omnigraph.api.types.stock_rules import (
    ChannelExposureRule,
    CustomerTier,
    InventoryRules,
    ProtectedStockRule,
    SafetyStockRule,
)
from omnigraph.db.mapping import level_of
from omnigraph.domain import vocabulary
from omnigraph.domain.orders import LineRequest, order_id_from_number
from omnigraph.services import availability as availability_service
from omnigraph.services import promise as promise_service
from omnigraph.services import queries
from omnigraph.services import reconciliation as reconciliation_service
from omnigraph.services import reservations as reservation_service
from omnigraph.services import simulation as simulation_service
from omnigraph.services import sourcing_rules as sourcing_rules_service
from omnigraph.services import stock_rules as stock_rules_service


@strawberry.type
class Query:
    node: relay.Node | None = relay.node(description="Any object by its global id.")
    nodes: list[relay.Node | None] = relay.node(description="Several objects by global id.")
    late_orders: list[LateOrder] = strawberry.field(
        resolver=late_orders,
        description="Open orders that missed a milestone (release-by, ready-by, deliver-by).",
    )

    @strawberry.field(description="Orders, newest first.")
    async def orders(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        filter: OrderFilterInput | None = None,
    ) -> relay.Connection[Order]:
        with as_bad_input():
            where = filter or OrderFilterInput()
            page = await queries.list_orders(
                info.context.services,
                queries.OrderFilter(
                    statuses=[vocabulary.OrderStatus(s) for s in where.statuses or ()],
                    channels=where.channels or (),
                    customer_id=decode_id(where.customer_id, "Customer", ("filter", "customerId"))
                    if where.customer_id
                    else None,
                    customer_email=where.customer_email,
                    created_from=where.created_from,
                    created_to=where.created_to,
                ),
                first,
                decode_cursor(after),
            )
        info.context.loaders.prime_orders(page.items)
        return connection_of(page, Order.from_row, after is not None)

    @strawberry.field(description="One order by global id or by its number (e.g. OG100042).")
    async def order(
        self, info: Info, id: strawberry.ID | None = None, number: str | None = None
    ) -> Order | None:
        if (id is None) == (number is None):
            raise BadUserInput("give exactly one of id and number")
        with as_bad_input():
            order_id = (
                decode_id(id, "Order", ("id",))
                if id is not None
                else order_id_from_number(number or "")
            )
        if order_id is None:
            return None
        row = await info.context.loaders.order_by_id.load(order_id)
        return Order.from_row(row) if row is not None else None

    @strawberry.field(description="Locations, nearest first when near is given.")
    async def locations(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        filter: LocationFilterInput | None = None,
    ) -> relay.Connection[Location]:
        with as_bad_input():
            where = filter or LocationFilterInput()
            page = await queries.list_locations(
                info.context.services,
                queries.LocationFilter(
                    types=[vocabulary.LocationType(t) for t in where.types or ()],
                    capabilities=[vocabulary.Capability(c) for c in where.capabilities or ()],
                    near=geo_point(where.near, ("filter", "near")),
                    radius_km=where.radius_km,
                ),
                first,
                decode_cursor(after),
            )
        return connection_of(
            page, lambda p: Location.from_row(p.location, p.distance_km), after is not None
        )

    @strawberry.field
    async def products(
        self,
        info: Info,
        first: int = 50,
        after: str | None = None,
        filter: ProductFilterInput | None = None,
    ) -> relay.Connection[Product]:
        with as_bad_input():
            where = filter or ProductFilterInput()
            page = await queries.list_products(
                info.context.services,
                queries.ProductFilter(
                    skus=where.skus or (), category=where.category, search=where.search
                ),
                first,
                decode_cursor(after),
            )
        return connection_of(page, Product.from_row, after is not None)

    @strawberry.field
    async def channels(self, info: Info) -> list[Channel]:
        return [Channel.from_row(row) for row in await queries.list_channels(info.context.services)]

    @strawberry.field(
        description="Sellable stock per SKU: network total and locations, nearest first."
    )
    async def availability(
        self,
        info: Info,
        skus: list[str],
        channel: str | None = None,
        customer_email: str | None = None,
        near: GeoPointInput | None = None,
        radius_km: float | None = None,
        locations_limit: int = 20,
    ) -> list[SkuAvailability]:
        with as_bad_input():
            answers = await availability_service.availability(
                info.context.services,
                skus,
                channel=channel,
                customer_email=customer_email,
                near=geo_point(near, ("near",)),
                radius_km=radius_km,
                locations_limit=locations_limit,
            )
        return [SkuAvailability.of(answer) for answer in answers]

    @strawberry.field(
        description="What-if: replay orders (or a generated sample) against the current and an "
        "alternative sourcing rule set, changing no stock, and compare cost, splits, distance, "
        "SLA and CO2."
    )
    async def simulate_sourcing(
        self, info: Info, input: SimulateSourcingInput
    ) -> SourcingSimulation:
        with as_bad_input():
            report = await simulation_service.simulate(
                info.context.services,
                simulation_service.SimulationRequest(
                    alternative=simulation_service.parse_alternative(input.alternative_rules),
                    order_ids=[
                        decode_id(value, "Order", ("orderIds", str(index)))
                        for index, value in enumerate(input.order_ids or ())
                    ],
                    sample_size=input.sample_size,
                    seed=input.seed,
                ),
            )
        return SourcingSimulation.of(report)

    @strawberry.field(
        description="Delivery options for a cart: per method, where from, by when, for how much."
    )
    async def delivery_promise(self, info: Info, input: DeliveryPromiseInput) -> DeliveryPromise:
        with as_bad_input():
            result = await promise_service.delivery_promise(
                info.context.services,
                promise_service.PromiseRequest(
                    lines=[LineRequest(line.sku, line.quantity) for line in input.lines],
                    methods=[vocabulary.DeliveryMethod(m) for m in input.methods or ()],
                    destination=geo_point(input.destination, ("input", "destination")),
                    postal_code=input.postal_code,
                    pickup_location_id=(
                        decode_id(
                            input.pickup_location_id, "Location", ("input", "pickupLocationId")
                        )
                        if input.pickup_location_id
                        else None
                    ),
                    channel=input.channel,
                    requested_date=input.requested_date,
                ),
            )
        return DeliveryPromise(
            options=[PromiseOption.of(quote) for quote in result.options],
            unavailable=[
                UnavailableMethod.of(r, info.context.services.settings.default_currency)
                for r in result.unavailable
            ],
            lines=[
                LineStock(
                    sku=s.sku,
                    requested=s.requested,
                    network_available=s.network_available,
                    message=s.message,
                    stock=StockStatus.of(s.signal),
                )
                for s in result.lines
            ],
        )

    @strawberry.field(description="The shipments of one order.")
    async def shipments(self, info: Info, order_id: strawberry.ID) -> list[Shipment]:
        with as_bad_input():
            key = decode_id(order_id, "Order", ("orderId",))
        rows = await info.context.loaders.shipments_by_order_id.load(key)
        return [Shipment.from_row(row) for row in rows]

    @strawberry.field(description="All quantity states of one SKU at one location.")
    async def inventory_level(
        self, info: Info, location_id: strawberry.ID, sku: str
    ) -> InventoryLevel | None:
        with as_bad_input():
            location = decode_id(location_id, "Location", ("locationId",))
        product = await info.context.loaders.product_by_sku.load(sku)
        if product is None:
            return None
        row = await info.context.loaders.level_by_location_product.load((location, product.id))
        if row is None:
            return None
        return InventoryLevel.of(
            level_of(row), row.location_id, row.product_id, row.incoming_expected_at
        )

    @strawberry.field(
        description="Every sourcing rule: method policies per channel, exclusions, margin rule."
    )
    async def sourcing_rules(self, info: Info) -> SourcingRules:
        services = info.context.services
        found = await sourcing_rules_service.sourcing_rule_set(services)
        currency = services.settings.default_currency
        return SourcingRules(
            methods=[SourcingMethodRule.from_row(row, currency) for row in found.methods],
            exclusions=[SourcingExclusion.from_row(row) for row in found.exclusions],
            margin=SourcingMarginRule.from_row(found.margin, currency) if found.margin else None,
        )

    @strawberry.field(description="Every safety stock, channel exposure and protected stock rule.")
    async def inventory_rules(self, info: Info) -> InventoryRules:
        listing = await stock_rules_service.list_rules(info.context.services)
        return InventoryRules(
            safety_stock=[SafetyStockRule.from_row(row) for row in listing.safety_stock],
            channel_exposure=[
                ChannelExposureRule(
                    id=row.id,
                    channel=code,
                    percent=row.percent,
                    cap=row.cap,
                    category=row.category,
                    sku=sku,
                )
                for row, code, sku in listing.channel_exposure
            ],
            protected_stock=[
                ProtectedStockRule(
                    id=row.id,
                    quantity=row.quantity,
                    tiers=[CustomerTier(t) for t in row.tiers],
                    category=row.category,
                    sku=sku,
                )
                for row, sku in listing.protected_stock
            ],
        )

    @strawberry.field(
        description="Levels recomputed from the ledger, and every quantity that disagrees."
    )
    async def inventory_reconciliation(
        self, info: Info, location_id: strawberry.ID | None = None, skus: list[str] | None = None
    ) -> InventoryReconciliation:
        with as_bad_input():
            report = await reconciliation_service.reconcile_inventory(
                info.context.services,
                reconciliation_service.ReconciliationFilter(
                    location_id=decode_id(location_id, "Location", ("locationId",))
                    if location_id is not None
                    else None,
                    skus=skus or (),
                ),
            )
        return InventoryReconciliation.of(report)

    @strawberry.field(description="One reservation by global id, or a cart's latest by cartId.")
    async def reservation(
        self, info: Info, id: strawberry.ID | None = None, cart_id: str | None = None
    ) -> Reservation | None:
        if (id is None) == (cart_id is None):
            raise BadUserInput("give exactly one of id and cartId")
        services = info.context.services
        if cart_id is not None:
            view = await reservation_service.reservation_for_cart(services, cart_id)
        else:
            with as_bad_input():
                key = decode_id(id or "", "Reservation", ("id",))
            view = (await reservation_service.get_reservations(services, [key]))[0]
        return Reservation.of(view) if view is not None else None
