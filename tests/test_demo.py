"""The demo network generator, its bulk loader and the demo orders."""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from omnigraph.db.models import (
    Channel,
    InventoryLevel,
    InventoryMovement,
    Location,
    Order,
    OrderLine,
    Product,
    SafetyStockRule,
)
from omnigraph.demo import (
    DemoNetwork,
    NetworkSpec,
    generate_network,
    is_empty,
    load_demo,
    load_network,
    place_demo_orders,
)
from omnigraph.demo.catalog import ean13_check_digit
from omnigraph.demo.cities import CITIES, COMPASS
from omnigraph.demo.orders import order_mix
from omnigraph.demo.rows import LevelRow, LocationRow
from omnigraph.domain.calendar import LocationSchedule
from omnigraph.domain.vocabulary import (
    Capability,
    ChannelCode,
    DeliveryMethod,
    InventoryBucket,
    LocationType,
    MovementReason,
    OrderStatus,
)
from omnigraph.services.core import Services

# A fixed day, so every run generates the same network whatever the date.
SPEC = NetworkSpec(as_of=date(2026, 3, 2))
# Monday 2 March 2026, 10:00 in New York: every store and DC is open.
MONDAY_MORNING = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
CITY_LABELS = {(city.name, city.state) for city in CITIES}
DIRECTIONS = "|".join(label for _, label, _ in COMPASS)
SUBURB_NAME = re.compile(rf"^[A-Za-z. ]+( \([A-Z]{{2}}\))? ({DIRECTIONS}) #\d+$")


@pytest.fixture(scope="module")
def network() -> DemoNetwork:
    return generate_network(SPEC)


@pytest.fixture
def services_at_monday(services: Services) -> Services:
    services.clock = lambda: MONDAY_MORNING
    return services


def stores_of(network: DemoNetwork) -> list[LocationRow]:
    return network.locations_of(LocationType.STORE)


def levels_by_location(network: DemoNetwork) -> dict[int, dict[int, LevelRow]]:
    grouped: dict[int, dict[int, LevelRow]] = defaultdict(dict)
    for level in network.levels:
        grouped[level.location_id][level.product_id] = level
    return grouped


def in_the_united_states(latitude: float, longitude: float) -> bool:
    lower_48 = 24.4 <= latitude <= 49.4 and -124.8 <= longitude <= -66.9
    alaska = 51.0 <= latitude <= 71.5 and -180.0 <= longitude <= -129.9
    hawaii = 18.9 <= latitude <= 22.3 and -160.3 <= longitude <= -154.8
    return lower_48 or alaska or hawaii


# Generation --------------------------------------------------------------------------------


def test_the_same_spec_generates_identical_rows(network: DemoNetwork) -> None:
    again = generate_network(SPEC)

    assert again == network


def test_another_seed_generates_a_different_network(network: DemoNetwork) -> None:
    other = generate_network(replace(SPEC, seed=SPEC.seed + 1))

    assert [p.name for p in other.products] != [p.name for p in network.products]
    assert [loc.city for loc in stores_of(other)] != [loc.city for loc in stores_of(network)]
    assert other.levels != network.levels


def test_default_network_has_a_dc_and_twenty_stores_in_distinct_real_cities(
    network: DemoNetwork,
) -> None:
    stores = stores_of(network)
    cities = {(store.city, store.region) for store in stores}

    assert len(network.locations_of(LocationType.DC)) >= 1
    assert len(stores) >= 20
    assert len(cities) == len(stores)
    assert cities <= CITY_LABELS


def test_default_catalogue_has_two_hundred_skus_in_several_categories(
    network: DemoNetwork,
) -> None:
    skus = [product.sku for product in network.products]

    assert len(skus) >= 200
    assert len(set(skus)) == len(skus)
    assert len({product.category for product in network.products}) >= 3
    assert all(re.fullmatch(r"[A-Z]{3}-\d{5}", sku) for sku in skus)


def test_channels_carry_their_remorse_windows_and_methods(network: DemoNetwork) -> None:
    channels = {channel.code: channel for channel in network.channels}

    assert {ChannelCode.WEB, ChannelCode.APP, ChannelCode.POS} <= set(channels)
    assert channels[ChannelCode.POS].remorse_minutes == 0
    assert list(channels[ChannelCode.POS].allowed_methods) == [DeliveryMethod.PICKUP.value]
    assert set(channels[ChannelCode.WEB].allowed_methods) == {m.value for m in DeliveryMethod}
    assert channels[ChannelCode.WEB].remorse_minutes > 0
    for channel in channels.values():
        assert {DeliveryMethod(m) for m in channel.allowed_methods}


def test_ids_and_codes_are_unique(network: DemoNetwork) -> None:
    for rows in (network.channels, network.locations, network.products, network.levels):
        assert [row.id for row in rows] == list(range(1, len(rows) + 1))
    codes = [location.code for location in network.locations]
    assert len(set(codes)) == len(codes)
    barcodes = [product.barcode for product in network.products]
    assert len(set(barcodes)) == len(barcodes)
    pairs = [(level.location_id, level.product_id) for level in network.levels]
    assert len(set(pairs)) == len(pairs)


def test_every_city_has_a_real_time_zone_that_fits_its_longitude() -> None:
    # Solar time: a zone's standard offset is within about an hour of longitude / 15.
    january = datetime(2026, 1, 15, 12, 0)
    for city in CITIES:
        zone = ZoneInfo(city.timezone)
        offset = january.replace(tzinfo=zone).utcoffset()
        assert offset is not None
        hours = offset.total_seconds() / 3600
        assert abs(hours - city.longitude / 15) <= 1.25, city


def test_every_location_has_a_valid_time_zone_and_us_coordinates(network: DemoNetwork) -> None:
    for location in network.locations:
        ZoneInfo(location.timezone)
        assert in_the_united_states(location.latitude, location.longitude), location.name
        assert location.country == "US"
        assert re.fullmatch(r"\d{5}", location.postal_code)
        assert re.fullmatch(r"\d+ [A-Za-z ]+", location.address_line1)
    for city in CITIES:
        assert in_the_united_states(city.latitude, city.longitude), city.name


def test_ean13_check_digit_matches_a_published_barcode() -> None:
    assert ean13_check_digit("400638133393") == 1


def test_every_barcode_is_a_valid_ean13(network: DemoNetwork) -> None:
    for product in network.products:
        digits = [int(d) for d in product.barcode]
        assert len(digits) == 13
        # Read from the right, the check digit weighs 1 and the others alternate 3, 1, ...
        total = sum(d * (3 if i % 2 else 1) for i, d in enumerate(reversed(digits)))
        assert total % 10 == 0, product.barcode


def test_prices_and_weights_look_like_a_shop(network: DemoNetwork) -> None:
    for product in network.products:
        assert product.price_minor % 100 in (0, 99)
        assert 300 <= product.price_minor <= 50_000
        assert 5 <= product.weight_grams <= 6_000
    by_category: dict[str, list[int]] = defaultdict(list)
    for product in network.products:
        by_category[product.category].append(product.weight_grams)
    # A boot outweighs a lipstick: categories differ in what they weigh.
    medians = [statistics.median(weights) for weights in by_category.values()]
    assert max(medians) > 3 * min(medians)


def test_locations_are_configured_for_their_type(network: DemoNetwork) -> None:
    for dc in network.locations_of(LocationType.DC):
        assert set(dc.capabilities) == {Capability.SHIP.value, Capability.RETURNS.value}
        assert dc.code.startswith("DC-")
        assert "sun" not in dc.opening_hours
        assert dc.daily_capacity > max(s.daily_capacity for s in stores_of(network))
    for store in stores_of(network):
        assert {Capability.SHIP.value, Capability.PICKUP.value} <= set(store.capabilities)
        assert re.fullmatch(r"ST-\d{4}", store.code)
        assert store.opening_hours["sun"] == [["10:00", "18:00"]]
    dc_pick = max(dc.pick_cost_minor for dc in network.locations_of(LocationType.DC))
    assert dc_pick < min(store.pick_cost_minor for store in stores_of(network))
    assert any(Capability.SAME_DAY.value in s.capabilities for s in stores_of(network))
    assert any(Capability.SAME_DAY.value not in s.capabilities for s in stores_of(network))


def test_opening_hours_and_holidays_read_as_a_schedule(network: DemoNetwork) -> None:
    thanksgiving, christmas = date(2026, 11, 26), date(2026, 12, 25)
    for location in network.locations:
        schedule = LocationSchedule.from_config(
            timezone=location.timezone,
            opening_hours=location.opening_hours,
            holidays=location.holidays,
            cutoff=location.cutoff_time,
            processing_minutes=location.processing_minutes,
        )
        assert not schedule.is_working_day(thanksgiving)
        assert not schedule.is_working_day(christmas)
        assert schedule.is_working_day(date(2026, 3, 2))
        assert any(day.startswith("2027-") for day in location.holidays)


def test_some_store_has_none_of_a_sku_the_dc_has(network: DemoNetwork) -> None:
    levels = levels_by_location(network)
    dc_stock = {
        product_id
        for dc in network.locations_of(LocationType.DC)
        for product_id, level in levels[dc.id].items()
        if level.sellable > 0
    }
    out_at_a_store = {
        product_id
        for store in stores_of(network)
        for product_id, level in levels[store.id].items()
        if level.sellable == 0
    }

    assert out_at_a_store & dc_stock


def test_a_few_skus_are_out_at_every_store_but_not_at_the_dc(network: DemoNetwork) -> None:
    levels = levels_by_location(network)
    store_stock = {
        product_id
        for store in stores_of(network)
        for product_id, level in levels[store.id].items()
        if level.on_hand > 0
    }
    dc = network.locations_of(LocationType.DC)[0]
    only_at_dc = {pid for pid, level in levels[dc.id].items() if level.on_hand > 0} - store_stock

    assert 1 <= len(only_at_dc) <= len(network.products) // 10


def test_stock_is_uneven_across_stores(network: DemoNetwork) -> None:
    levels = levels_by_location(network)
    medians = [
        statistics.median(level.on_hand for level in levels[store.id].values())
        for store in stores_of(network)
    ]

    assert min(medians) <= 2
    assert max(medians) >= 3 * max(1, min(medians))


def test_stock_has_safety_damage_and_supply_on_the_way(network: DemoNetwork) -> None:
    store_ids = {store.id for store in stores_of(network)}
    levels = network.levels

    assert any(level.safety_stock > 0 and level.location_id in store_ids for level in levels)
    assert any(level.damaged > 0 for level in levels)
    assert all(level.damaged <= level.on_hand for level in levels)
    assert any(level.incoming > 0 for level in levels)
    for level in levels:
        assert (level.incoming > 0) == (level.incoming_expected_at is not None)
        if level.incoming_expected_at is not None:
            assert level.incoming_expected_at > SPEC.counted_at


def test_a_scaled_spec_generates_the_requested_counts() -> None:
    spec = replace(SPEC, distribution_centres=3, stores=52, dark_stores=5, skus=1_000)

    network = generate_network(spec)

    assert len(network.locations) == 60
    assert len(network.locations_of(LocationType.DC)) == 3
    assert len(network.locations_of(LocationType.DARK_STORE)) == 5
    assert len(network.products) == 1_000
    assert len({product.category for product in network.products}) == 6
    per_location: dict[int, int] = defaultdict(int)
    for level in network.levels:
        per_location[level.location_id] += 1
    for store in stores_of(network):
        assert spec.assortment_size <= per_location[store.id] <= spec.assortment_size + 25


def test_stores_beyond_the_city_list_open_in_named_suburbs() -> None:
    spec = replace(SPEC, stores=len(CITIES) + 40, skus=50, max_store_skus=10)

    network = generate_network(spec)

    stores = stores_of(network)
    suburbs = stores[len(CITIES) :]
    assert len(stores) == len(CITIES) + 40
    assert all(SUBURB_NAME.match(store.name) for store in suburbs)
    assert {(s.city, s.region) for s in stores} == CITY_LABELS
    names = [store.name for store in stores]
    assert len(set(names)) == len(names)
    assert all(in_the_united_states(s.latitude, s.longitude) for s in stores)


def test_huge_catalogues_are_capped_per_store() -> None:
    spec = replace(SPEC, stores=3, skus=10_000)

    assert spec.assortment_size == spec.max_store_skus < 10_000 * spec.store_assortment


def test_order_mix_covers_every_channel_and_drops_shipping_without_carriers() -> None:
    with_carriers = order_mix(8, can_ship=True)
    without = order_mix(8, can_ship=False)

    assert {channel for channel, _ in with_carriers} == {
        ChannelCode.WEB,
        ChannelCode.APP,
        ChannelCode.POS,
        ChannelCode.CALL_CENTER,
    }
    assert len(without) == 8
    assert all(method.is_collection for _, method in without)
    assert not all(method.is_collection for _, method in with_carriers)


# Loading -----------------------------------------------------------------------------------


async def count(services: Services, model: type) -> int:
    async with services.db.read_session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def assert_ledger_reconciles(services: Services) -> None:
    """Every level's quantities equal the sums of its ledger movements, bucket by bucket."""
    async with services.db.read_session() as session:
        sums: dict[tuple[int, int, str], int] = {
            (loc, prod, bucket): int(total)
            for loc, prod, bucket, total in await session.execute(
                select(
                    InventoryMovement.location_id,
                    InventoryMovement.product_id,
                    InventoryMovement.bucket,
                    func.sum(InventoryMovement.delta),
                ).group_by(
                    InventoryMovement.location_id,
                    InventoryMovement.product_id,
                    InventoryMovement.bucket,
                )
            )
        }
        levels = (await session.scalars(select(InventoryLevel))).all()
    seen = set()
    for level in levels:
        for bucket in InventoryBucket:
            key = (level.location_id, level.product_id, bucket.value)
            seen.add(key)
            assert sums.get(key, 0) == getattr(level, bucket.value.lower()), key
    assert set(sums) <= seen


async def test_loading_writes_every_row(services: Services, network: DemoNetwork) -> None:
    assert await is_empty(services.db)

    summary = await load_network(services.db, network)

    assert not await is_empty(services.db)
    assert summary.channels == await count(services, Channel) == len(network.channels)
    assert summary.locations == await count(services, Location) == len(network.locations)
    assert summary.products == await count(services, Product) == len(network.products)
    assert summary.inventory_levels == await count(services, InventoryLevel) == len(network.levels)
    assert summary.inventory_movements == await count(services, InventoryMovement)
    async with services.db.read_session() as session:
        store = await session.get(Location, stores_of(network)[0].id)
        reasons = set(await session.scalars(select(InventoryMovement.reason).distinct()))
    assert store is not None
    assert store.code == stores_of(network)[0].code
    assert list(store.capabilities) == list(stores_of(network)[0].capabilities)
    assert reasons == {MovementReason.INITIAL_LOAD.value}


async def test_loaded_levels_read_back_as_generated(
    services: Services, network: DemoNetwork
) -> None:
    await load_network(services.db, network)

    async with services.db.read_session() as session:
        rows = {row.id: row for row in await session.scalars(select(InventoryLevel))}
    for level in network.levels:
        row = rows[level.id]
        assert (row.location_id, row.product_id) == (level.location_id, level.product_id)
        assert (row.on_hand, row.safety_stock, row.damaged, row.incoming) == (
            level.on_hand,
            level.safety_stock,
            level.damaged,
            level.incoming,
        )
        assert (row.committed, row.reserved) == (0, 0)
        assert row.incoming_expected_at == level.incoming_expected_at
        assert row.updated_at == SPEC.counted_at


async def test_the_loaded_ledger_reproduces_the_levels(
    services: Services, network: DemoNetwork
) -> None:
    await load_network(services.db, network)

    await assert_ledger_reconciles(services)


async def test_loaded_safety_stock_is_owned_by_sku_at_location_rules(
    services: Services, network: DemoNetwork
) -> None:
    await load_network(services.db, network)
    async with services.db.read_session() as session:
        kept = list(
            await session.scalars(select(InventoryLevel).where(InventoryLevel.safety_stock > 0))
        )
        rules = {rule.id: rule for rule in await session.scalars(select(SafetyStockRule))}
    assert kept and len(rules) == len(kept)
    for level in kept:
        rule = rules[level.safety_stock_rule_id]
        assert (rule.location_id, rule.product_id, rule.quantity) == (
            level.location_id,
            level.product_id,
            level.safety_stock,
        )


async def test_loading_into_a_database_with_a_catalogue_is_refused(
    services: Services, network: DemoNetwork
) -> None:
    await load_network(services.db, network)

    with pytest.raises(ValueError, match="already has rows"):
        await load_network(services.db, network)
    assert await count(services, Location) == len(network.locations)


async def test_load_demo_loads_only_into_an_empty_database(services_at_monday: Services) -> None:
    services = services_at_monday

    first = await load_demo(services)
    orders_after_first = await count(services, Order)
    second = await load_demo(services)

    assert (first, second) == (True, False)
    assert orders_after_first > 0
    assert await count(services, Order) == orders_after_first
    assert await count(services, Location) == len(generate_network(SPEC).locations)


# Orders ------------------------------------------------------------------------------------


async def test_demo_orders_end_in_several_states_holding_their_stock(
    services_at_monday: Services, network: DemoNetwork
) -> None:
    services = services_at_monday
    await load_network(services.db, network)

    orders = await place_demo_orders(services, network)

    statuses = [order.status for order in orders]
    assert len(orders) == 8
    assert OrderStatus.CANCELLED.value in statuses
    assert len(set(statuses)) >= 2
    channels = {channel.id: channel.code for channel in network.channels}
    for order in orders:
        if order.status == OrderStatus.CANCELLED.value:
            continue
        # Only the till has no remorse window: its orders are confirmed at once.
        at_the_till = channels[order.channel_id] == ChannelCode.POS.value
        expected = OrderStatus.CONFIRMED if at_the_till else OrderStatus.PENDING
        assert order.status == expected.value
    async with services.db.read_session() as session:
        ordered = await session.scalar(
            select(func.sum(OrderLine.quantity - OrderLine.quantity_cancelled))
        )
        committed = await session.scalar(select(func.sum(InventoryLevel.committed)))
    assert committed == ordered
    assert committed and committed > 0
    await assert_ledger_reconciles(services)


async def test_pickup_orders_are_collected_where_the_stock_is(
    services_at_monday: Services, network: DemoNetwork
) -> None:
    services = services_at_monday
    await load_network(services.db, network)

    orders = await place_demo_orders(services, network)

    pickups = [o for o in orders if DeliveryMethod(o.delivery_method).is_collection]
    assert pickups
    async with services.db.read_session() as session:
        for order in pickups:
            location = await session.get(Location, order.pickup_location_id)
            assert location is not None
            assert order.delivery_method in location.capabilities


async def test_placing_the_demo_orders_again_places_nothing_new(
    services_at_monday: Services, network: DemoNetwork
) -> None:
    services = services_at_monday
    await load_network(services.db, network)

    first = await place_demo_orders(services, network)
    again = await place_demo_orders(services, network)

    assert [o.id for o in again] == [o.id for o in first]
    assert [o.status for o in again] == [o.status for o in first]
    assert await count(services, Order) == len(first)
