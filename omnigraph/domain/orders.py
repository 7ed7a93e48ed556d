"""Order capture decisions: validating a request and pricing it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.lines import in_line_order, sku_problems
from omnigraph.domain.money import Money
from omnigraph.domain.vocabulary import Capability, DeliveryMethod, PaymentStatus

ORDER_NUMBER_PREFIX = "OG"
ORDER_NUMBER_OFFSET = 100_000
MAX_LINES = 100
MAX_LINE_QUANTITY = 999
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class Address:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None = None
    region: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    phone: str | None = None

    @property
    def point(self) -> GeoPoint | None:
        if self.latitude is None or self.longitude is None:
            return None
        return GeoPoint(self.latitude, self.longitude)


@dataclass(frozen=True, slots=True)
class CustomerDetails:
    email: str
    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class LineRequest:
    sku: str
    quantity: int


@dataclass(frozen=True, slots=True)
class OrderRequest:
    channel: str
    method: DeliveryMethod
    lines: Sequence[LineRequest]
    customer: CustomerDetails
    shipping_address: Address | None = None
    pickup_location_id: int | None = None
    idempotency_key: str | None = None
    external_reference: str | None = None
    # Converts this checkout reservation: the order takes exactly its held units.
    reservation_id: int | None = None
    # A future delivery date: lines short now may wait for incoming supply arriving by then.
    requested_date: date | None = None
    # ON_HOLD keeps the order from being released until the payment is cleared.
    payment_status: PaymentStatus = PaymentStatus.AUTHORIZED
    # A till sale: the customer walks out with the goods, so the order completes at once.
    carried_out: bool = False


@dataclass(frozen=True, slots=True)
class ChannelPolicy:
    code: str
    allowed_methods: frozenset[DeliveryMethod]
    remorse_minutes: int


@dataclass(frozen=True, slots=True)
class CatalogFacts:
    """What capture needs to know about the world, loaded by the service."""

    channel: ChannelPolicy | None
    prices: Mapping[str, Money]
    pickup_capabilities: frozenset[Capability] | None = None
    pickup_location_known: bool = False
    problems: list[Problem] = field(default_factory=list)


def is_email(text: str) -> bool:
    return bool(_EMAIL.match(text or ""))


def _address_problems(address: Address | None) -> list[Problem]:
    if address is None:
        return [
            Problem(
                ("shippingAddress",),
                ErrorCode.REQUIRED,
                "a shipping address is required for delivery",
            )
        ]
    problems = [
        Problem(("shippingAddress", name), ErrorCode.REQUIRED, f"{name} is required")
        for name, value in (
            ("name", address.name),
            ("line1", address.line1),
            ("city", address.city),
            ("postalCode", address.postal_code),
        )
        if not value or not value.strip()
    ]
    if len(address.country) != 2 or not address.country.isalpha():
        problems.append(
            Problem(
                ("shippingAddress", "country"),
                ErrorCode.INVALID_ADDRESS,
                "country must be an ISO 3166 two-letter code",
            )
        )
    if address.latitude is None or address.longitude is None:
        problems.append(
            Problem(
                ("shippingAddress", "latitude"),
                ErrorCode.REQUIRED,
                "latitude and longitude are required to promise a delivery",
            )
        )
    elif not (-90 <= address.latitude <= 90 and -180 <= address.longitude <= 180):
        problems.append(
            Problem(
                ("shippingAddress", "latitude"),
                ErrorCode.INVALID_COORDINATES,
                "coordinates are out of range",
            )
        )
    return problems


def line_problems(lines: Sequence[LineRequest], known_skus: Mapping[str, object]) -> list[Problem]:
    if not lines:
        return [Problem(("lines",), ErrorCode.REQUIRED, "an order needs at least one line")]
    if len(lines) > MAX_LINES:
        return [
            Problem(("lines",), ErrorCode.TOO_MANY_LINES, f"at most {MAX_LINES} lines per order")
        ]
    problems = [
        Problem(
            ("lines", str(index), "quantity"),
            ErrorCode.INVALID_QUANTITY,
            f"quantity must be between 1 and {MAX_LINE_QUANTITY}",
        )
        for index, line in enumerate(lines)
        if not 1 <= line.quantity <= MAX_LINE_QUANTITY
    ]
    problems.extend(sku_problems([line.sku for line in lines], known_skus, "lines"))
    return in_line_order(problems)


def validate_order(request: OrderRequest, facts: CatalogFacts) -> None:
    """Raise one DomainError listing every problem, so a form can show them all at once."""
    problems: list[Problem] = list(facts.problems)
    if facts.channel is None:
        problems.append(
            Problem(("channel",), ErrorCode.UNKNOWN_CHANNEL, f"unknown channel {request.channel!r}")
        )
    elif request.method not in facts.channel.allowed_methods:
        problems.append(
            Problem(
                ("deliveryMethod",),
                ErrorCode.METHOD_NOT_ALLOWED,
                f"channel {facts.channel.code} does not offer {request.method.value}",
            )
        )
    problems.extend(line_problems(request.lines, facts.prices))
    if not is_email(request.customer.email):
        problems.append(
            Problem(("customer", "email"), ErrorCode.INVALID, "a valid email address is required")
        )
    if request.method.is_collection:
        if request.pickup_location_id is None:
            problems.append(
                Problem(
                    ("pickupLocationId",),
                    ErrorCode.REQUIRED,
                    f"{request.method.value} needs a pickup location",
                )
            )
        elif not facts.pickup_location_known:
            problems.append(
                Problem(
                    ("pickupLocationId",), ErrorCode.UNKNOWN_LOCATION, "unknown pickup location"
                )
            )
        elif (
            facts.pickup_capabilities is not None
            and request.method.capability not in facts.pickup_capabilities
        ):
            problems.append(
                Problem(
                    ("pickupLocationId",),
                    ErrorCode.PICKUP_NOT_SUPPORTED,
                    f"that location does not offer {request.method.value}",
                )
            )
    else:
        problems.extend(_address_problems(request.shipping_address))
        if request.pickup_location_id is not None:
            problems.append(
                Problem(
                    ("pickupLocationId",),
                    ErrorCode.INVALID,
                    f"pickup locations are for PICKUP and CURBSIDE, not {request.method.value}",
                )
            )
    problems.extend(_till_sale_problems(request, facts))
    if problems:
        raise DomainError(problems)


def _till_sale_problems(request: OrderRequest, facts: CatalogFacts) -> list[Problem]:
    """A carried-out sale is a pickup at the till's store, on a channel without a remorse
    window (there is nothing left to change), paid or authorised, from stock on the shelf."""
    if not request.carried_out:
        return []

    def bad(field: str, message: str) -> Problem:
        return Problem((field,), ErrorCode.INVALID, message)

    found: list[Problem] = []
    if request.method is not DeliveryMethod.PICKUP:
        found.append(bad("deliveryMethod", "goods carried out are a PICKUP at the till's store"))
    if facts.channel is not None and facts.channel.remorse_minutes > 0:
        found.append(
            bad("carriedOut", f"channel {facts.channel.code} has a remorse window; a till has none")
        )
    if request.payment_status is PaymentStatus.ON_HOLD:
        found.append(bad("paymentStatus", "goods leave the store only once paid or authorised"))
    if request.reservation_id is not None or request.requested_date is not None:
        found.append(bad("carriedOut", "goods carried out are neither held nor dated"))
    return found


@dataclass(frozen=True, slots=True)
class PricedLine:
    sku: str
    quantity: int
    unit_price: Money

    @property
    def total(self) -> Money:
        return self.unit_price.times(self.quantity)


@dataclass(frozen=True, slots=True)
class OrderTotals:
    subtotal: Money
    shipping: Money

    @property
    def total(self) -> Money:
        return self.subtotal + self.shipping


def price_lines(lines: Sequence[LineRequest], prices: Mapping[str, Money]) -> list[PricedLine]:
    return [PricedLine(line.sku, line.quantity, prices[line.sku]) for line in lines]


def order_totals(lines: Sequence[PricedLine], shipping: Money) -> OrderTotals:
    subtotal = Money.zero(shipping.currency)
    for line in lines:
        subtotal = subtotal + line.total
    return OrderTotals(subtotal, shipping)


def order_number(order_id: int) -> str:
    """The number customers read out: derived from the id, so it costs no extra write."""
    return f"{ORDER_NUMBER_PREFIX}{ORDER_NUMBER_OFFSET + order_id}"


def order_id_from_number(number: str) -> int | None:
    text = number.strip().upper()
    if not text.startswith(ORDER_NUMBER_PREFIX) or not text[len(ORDER_NUMBER_PREFIX) :].isdigit():
        return None
    order_id = int(text[len(ORDER_NUMBER_PREFIX) :]) - ORDER_NUMBER_OFFSET
    return order_id if order_id > 0 else None
