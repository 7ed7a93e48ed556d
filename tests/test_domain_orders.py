from __future__ import annotations

import pytest

from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.money import Money
from omnigraph.domain.orders import (
    Address,
    CatalogFacts,
    ChannelPolicy,
    CustomerDetails,
    LineRequest,
    OrderRequest,
    order_id_from_number,
    order_number,
    order_totals,
    price_lines,
    validate_order,
)
from omnigraph.domain.vocabulary import Capability, DeliveryMethod

WEB = ChannelPolicy("WEB", frozenset(DeliveryMethod), 30)
PRICES = {"A": Money(1000, "USD"), "B": Money(250, "USD")}
HOME = Address("Ada", "1 Main St", "Chicago", "60601", "US", latitude=41.88, longitude=-87.63)


def request(**changes) -> OrderRequest:
    base = dict(
        channel="WEB",
        method=DeliveryMethod.SHIP_STANDARD,
        lines=[LineRequest("A", 2)],
        customer=CustomerDetails("ada@example.com"),
        shipping_address=HOME,
    )
    base.update(changes)
    return OrderRequest(**base)


def problems(
    req: OrderRequest, facts: CatalogFacts | None = None
) -> set[tuple[tuple[str, ...], ErrorCode]]:
    with pytest.raises(DomainError) as caught:
        validate_order(req, facts or CatalogFacts(channel=WEB, prices=PRICES))
    return {(p.field, p.code) for p in caught.value.problems}


def test_a_good_request_passes():
    validate_order(request(), CatalogFacts(channel=WEB, prices=PRICES))


def test_every_problem_is_reported_at_once_with_its_field():
    found = problems(
        request(
            lines=[LineRequest("NOPE", 0), LineRequest("A", 1), LineRequest("A", 1)],
            customer=CustomerDetails("not-an-email"),
        )
    )
    assert (("lines", "0", "quantity"), ErrorCode.INVALID_QUANTITY) in found
    assert (("lines", "0", "sku"), ErrorCode.UNKNOWN_SKU) in found
    assert (("lines", "2", "sku"), ErrorCode.DUPLICATE_LINE) in found
    assert (("customer", "email"), ErrorCode.INVALID) in found


def test_unknown_channel():
    assert (("channel",), ErrorCode.UNKNOWN_CHANNEL) in problems(
        request(channel="FAX"), CatalogFacts(channel=None, prices=PRICES)
    )


def test_method_must_be_allowed_by_the_channel():
    pos = ChannelPolicy("POS", frozenset({DeliveryMethod.PICKUP}), 0)
    assert (("deliveryMethod",), ErrorCode.METHOD_NOT_ALLOWED) in problems(
        request(), CatalogFacts(channel=pos, prices=PRICES)
    )


def test_delivery_needs_an_address_with_coordinates():
    assert (("shippingAddress",), ErrorCode.REQUIRED) in problems(request(shipping_address=None))
    no_coordinates = Address("Ada", "1 Main St", "Chicago", "60601", "US")
    assert (("shippingAddress", "latitude"), ErrorCode.REQUIRED) in problems(
        request(shipping_address=no_coordinates)
    )
    bad_country = Address("Ada", "1 Main St", "Chicago", "60601", "USA", latitude=1, longitude=1)
    assert (("shippingAddress", "country"), ErrorCode.INVALID_ADDRESS) in problems(
        request(shipping_address=bad_country)
    )


def test_pickup_needs_a_known_location_that_offers_pickup():
    pickup = request(method=DeliveryMethod.PICKUP, shipping_address=None)
    assert (("pickupLocationId",), ErrorCode.REQUIRED) in problems(pickup)
    at_unknown = request(method=DeliveryMethod.PICKUP, shipping_address=None, pickup_location_id=7)
    assert (("pickupLocationId",), ErrorCode.UNKNOWN_LOCATION) in problems(at_unknown)
    ship_only = CatalogFacts(
        channel=WEB,
        prices=PRICES,
        pickup_capabilities=frozenset({Capability.SHIP}),
        pickup_location_known=True,
    )
    assert (("pickupLocationId",), ErrorCode.PICKUP_NOT_SUPPORTED) in problems(
        at_unknown, ship_only
    )


def test_empty_and_huge_carts():
    assert (("lines",), ErrorCode.REQUIRED) in problems(request(lines=[]))
    assert (("lines",), ErrorCode.TOO_MANY_LINES) in problems(
        request(lines=[LineRequest(f"S{i}", 1) for i in range(101)])
    )


def test_totals_are_exact_minor_units():
    lines = price_lines([LineRequest("A", 2), LineRequest("B", 3)], PRICES)
    totals = order_totals(lines, Money(799, "USD"))
    assert totals.subtotal == Money(2750, "USD")
    assert totals.total == Money(3549, "USD")


def test_order_numbers_round_trip():
    assert order_number(42) == "OG100042"
    assert order_id_from_number("og100042") == 42
    assert order_id_from_number("OG42") is None
    assert order_id_from_number("XX100042") is None


def test_a_delivery_order_cannot_also_name_a_pickup_location():
    assert (("pickupLocationId",), ErrorCode.INVALID) in problems(request(pickup_location_id=3))
