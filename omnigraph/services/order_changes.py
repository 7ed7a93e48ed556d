"""Changing an order inside its remorse window: lines, address, method or pickup store.

A change is the whole new wish, validated, sourced and priced like a capture: the order's
held stock is given back first (so it may keep its own units), its fulfilment orders are
cancelled, and new ones are made from the new plan. After the window, or once the order is
released, a change is refused with a userError naming the state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from omnigraph.db.mapping import address_of, price_of, set_address
from omnigraph.db.models import (
    Channel,
    Customer,
    Order,
    OrderLine,
    Product,
)
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.money import Money
from omnigraph.domain.orders import (
    Address,
    CustomerDetails,
    LineRequest,
    OrderRequest,
    order_number,
    order_totals,
    price_lines,
)
from omnigraph.domain.promise import PlanRefusal, refusal_error
from omnigraph.domain.vocabulary import DeliveryMethod, FulfillmentStatus, OrderStatus
from omnigraph.events.types import Topic
from omnigraph.services.backorders import drop_waiting
from omnigraph.services.capacity import is_deadlock, places_left
from omnigraph.services.fulfilment_orders import cancel_fulfilments, open_planned, planned_commits
from omnigraph.services.inventory import commit_stock
from omnigraph.services.network import network_available, products_by_sku, stocked_locations
from omnigraph.services.order_sourcing import pickup_of, quote_request, validate_request
from omnigraph.services.promise import MethodQuote
from omnigraph.services.resourcing import StockMoved
from omnigraph.services.sla import promised_ship_by
from omnigraph.services.sourcing import load_inputs
from omnigraph.services.sourcing_trace import replace_decision
from omnigraph.services.stock_rules import check_sellable, ruled_and_locked
from omnigraph.services.store_supply import (
    STORE_SHORT,
    StoreSupply,
    decision_parts,
    own_plan,
    placed_at,
    plan_store_supply,
    send_to_store,
)
from omnigraph.services.timeline import Subject, record_change
from omnigraph.services.transitions import locked_order
from omnigraph.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from omnigraph.services.core import Services

ATTEMPTS = 20


@dataclass(frozen=True, slots=True)
class OrderChange:
    """What to change; ``None`` keeps the order's current value. ``lines`` is the whole
    new cart (a line left out is removed, a new SKU added)."""

    lines: Sequence[LineRequest] | None = None
    shipping_address: Address | None = None
    method: DeliveryMethod | None = None
    pickup_location_id: int | None = None


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    order: Order
    replayed: bool = False


async def change_order(
    services: Services,
    order_id: int,
    change: OrderChange,
    reason: str | None = None,
    actor: str | None = None,
) -> ChangeOutcome:
    """Apply ``change`` to a PENDING order inside its remorse window and return it with its
    new promise (``promised``), totals and fulfilment orders. The same change sent again
    changes nothing (``replayed``)."""
    for _ in range(ATTEMPTS):
        try:
            return await _attempt(services, order_id, change, reason, actor)
        except StockMoved:
            continue
        except DBAPIError as error:
            if not is_deadlock(error):  # PostgreSQL rolled this attempt back: run it again
                raise
            continue
    raise DomainError.single(
        ("lines",), ErrorCode.INSUFFICIENT_STOCK, "the stock was taken by other orders"
    )


def _check_changeable(order: Order, now: datetime) -> None:
    if order.status != OrderStatus.PENDING.value:
        raise DomainError.single(
            ("orderId",),
            ErrorCode.INVALID_TRANSITION,
            f"an order in state {order.status} can no longer be changed",
        )
    if order.remorse_ends_at is not None and order.remorse_ends_at <= now:
        raise DomainError.single(
            ("orderId",),
            ErrorCode.INVALID_TRANSITION,
            f"the change window ended at {order.remorse_ends_at.isoformat()}",
        )


def _shape(request: OrderRequest) -> dict[str, Any]:
    """What a change compares: the cart as SKU totals, the method, where it goes."""
    return {
        "lines": sorted((line.sku, line.quantity) for line in request.lines),
        "method": request.method.value,
        "address": asdict(request.shipping_address) if request.shipping_address else None,
        "pickup": request.pickup_location_id,
    }


async def _current(uow: UnitOfWork, order: Order) -> tuple[OrderRequest, list[OrderLine]]:
    rows = await uow.session.execute(
        select(OrderLine, Product.sku)
        .join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.order_id == order.id)
        .order_by(OrderLine.line_number)
    )
    lines: list[OrderLine] = []
    wanted: list[LineRequest] = []
    for line, sku in rows:
        lines.append(line)
        if line.quantity > line.quantity_cancelled:
            wanted.append(LineRequest(sku, line.quantity - line.quantity_cancelled))
    channel = await uow.session.get(Channel, order.channel_id)
    customer = await uow.session.get(Customer, order.customer_id)
    assert channel is not None and customer is not None
    method = DeliveryMethod(order.delivery_method)
    request = OrderRequest(
        channel=channel.code,
        method=method,
        lines=wanted,
        customer=CustomerDetails(customer.email, customer.name, customer.phone),
        shipping_address=address_of(order),
        pickup_location_id=order.pickup_location_id,
    )
    return request, lines


def _merged(current: OrderRequest, change: OrderChange) -> OrderRequest:
    method = change.method or current.method
    collecting = method.is_collection
    pickup = change.pickup_location_id if change.pickup_location_id is not None else None
    if pickup is None and collecting and current.method.is_collection:
        pickup = current.pickup_location_id
    address = change.shipping_address
    if address is None and not collecting and not current.method.is_collection:
        address = current.shipping_address
    return OrderRequest(
        channel=current.channel,
        method=method,
        lines=list(change.lines) if change.lines is not None else list(current.lines),
        customer=current.customer,
        shipping_address=None if collecting else address,
        pickup_location_id=pickup if collecting else None,
    )


async def _attempt(
    services: Services,
    order_id: int,
    change: OrderChange,
    reason: str | None,
    actor: str | None,
) -> ChangeOutcome:
    async with services.unit_of_work(actor=actor) as uow:
        session = uow.session
        order = await locked_order(uow, order_id)
        now = services.clock()
        _check_changeable(order, now)
        current, lines = await _current(uow, order)
        request = _merged(current, change)
        if _shape(request) == _shape(current):
            return ChangeOutcome(order, replayed=True)
        channel = await session.get(Channel, order.channel_id)
        assert channel is not None
        products = await products_by_sku(session, [line.sku for line in request.lines])
        pickup = await pickup_of(session, request)
        validate_request(request, channel, products, pickup)
        why = reason or "changed inside the remorse window"
        # The order's held stock is given back first, so it may keep its own units.
        await cancel_fulfilments(uow, order.id, [FulfillmentStatus.OPEN], why)
        # Units waiting for supply are sourced again with the rest, from stock now.
        await drop_waiting(uow, order.id, why)
        limits = await ruled_and_locked(uow, channel.code, products.values())
        stocked = await stocked_locations(session, products, services.catalog)
        await check_sellable(
            uow,
            limits,
            channel.code,
            request.customer.email,
            request.lines,
            products,
            network_available(stocked),
        )
        inputs = await load_inputs(session, services, stocked, products, now)
        quote = await quote_request(
            services,
            request,
            products,
            stocked,
            pickup,
            now,
            currency=order.currency,
            inputs=inputs,
        )
        sourced: MethodQuote | StoreSupply | None = None
        if isinstance(quote, MethodQuote):
            sourced = quote
        elif pickup is not None and quote.reason in STORE_SHORT:
            # As at capture: the store's missing units may be sent there by transfer.
            sourced = await plan_store_supply(
                services,
                request.method,
                pickup,
                {line.sku: line.quantity for line in request.lines},
                products,
                stocked,
                now,
                currency=order.currency,
                channel=channel.code,
                inputs=inputs,
            )
        if sourced is None:
            assert isinstance(quote, PlanRefusal)
            raise refusal_error(quote)
        if not await places_left(uow, placed_at(sourced), services.catalog, now):
            raise StockMoved  # a concurrent order took a capped location's last place
        own = own_plan(sourced)
        by_sku = await _relined(uow, order, lines, request, products)
        _apply_order_fields(order, request, own, products, now)
        if own is not None:
            await open_planned(uow, order.id, own.plan, by_sku, why)
        sent = await send_to_store(uow, order, sourced, pickup, by_sku, products)
        commits = [*(planned_commits(own.plan, products) if own is not None else []), *sent.commits]
        if not await commit_stock(uow, commits, order.id):
            raise StockMoved
        # The order's explanation is the plan now in force, not the one made at capture.
        await replace_decision(
            session,
            order.id,
            decision_parts(sourced, pickup),
            now,
            method=order.delivery_method,
        )
        record_change(
            uow,
            order_id=order.id,
            subject=Subject.ORDER,
            subject_id=order.id,
            before=order.status,
            after=order.status,
            reason=why,
            details={"before": _shape(current), "after": _shape(request)},
            publish=False,
        )
        uow.record(
            Topic.ORDER_CHANGED,
            "order",
            order.id,
            {
                "orderId": order.id,
                "number": order_number(order.id),
                "reason": why,
                "deliveryMethod": order.delivery_method,
                "lines": [{"sku": sku, "quantity": qty} for sku, qty in _shape(request)["lines"]],
                "total": {
                    "amount": str(Money(order.total_minor, order.currency).amount),
                    "currencyCode": order.currency,
                },
                "promised": {
                    "earliest": _day(order.promised_earliest),
                    "latest": _day(order.promised_latest),
                },
                "locationIds": list(own.plan.location_ids) if own is not None else [],
                **({"transfers": sent.facts} if sent.facts else {}),
            },
            order_id=order.id,
        )
        await session.flush()
        await uow.commit()
        return ChangeOutcome(order)


async def _relined(
    uow: UnitOfWork,
    order: Order,
    lines: list[OrderLine],
    request: OrderRequest,
    products: dict[str, Product],
) -> dict[str, OrderLine]:
    """Order lines matching the new cart: kept lines take the new quantity and today's
    price, removed ones are fully cancelled, new SKUs get new line numbers."""
    wanted = {line.sku: line.quantity for line in request.lines}
    by_product = {line.product_id: line for line in lines}
    by_sku: dict[str, OrderLine] = {}
    next_number = max((line.line_number for line in lines), default=0) + 1
    for sku, quantity in wanted.items():
        product = products[sku]
        line = by_product.get(product.id)
        if line is None:
            line = OrderLine(
                order_id=order.id,
                line_number=next_number,
                product_id=product.id,
                quantity=quantity,
                quantity_cancelled=0,
                unit_price_minor=product.price_minor,
            )
            next_number += 1
            uow.session.add(line)
        else:
            line.quantity_cancelled = 0
            line.quantity = quantity
            line.unit_price_minor = product.price_minor
        by_sku[sku] = line
    kept = {products[sku].id for sku in wanted}
    for line in lines:
        if line.product_id not in kept:
            line.quantity_cancelled = line.quantity
    await uow.session.flush()
    return by_sku


def _apply_order_fields(
    order: Order,
    request: OrderRequest,
    quote: MethodQuote | None,
    products: dict[str, Product],
    now: datetime,
) -> None:
    """The changed request's fields, totals and promise; ``quote`` None when every unit
    comes by transfer (no shipping charge; ``send_to_store`` sets the ready-by)."""
    priced = price_lines(request.lines, {sku: price_of(p) for sku, p in products.items()})
    totals = order_totals(priced, quote.price if quote is not None else Money.zero(order.currency))
    order.delivery_method = request.method.value
    order.pickup_location_id = request.pickup_location_id
    set_address(order, request.shipping_address)
    order.subtotal_minor = totals.subtotal.minor
    order.shipping_minor = totals.shipping.minor
    order.total_minor = totals.total.minor
    order.promised_earliest = quote.window.earliest if quote is not None else None
    order.promised_latest = quote.window.latest if quote is not None else None
    order.ship_by = promised_ship_by(quote, quote.window.latest, now) if quote is not None else None
    order.updated_at = now


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None
