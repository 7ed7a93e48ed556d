"""Order capture and cancellation."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, IntegrityError

from omnigraph.db.mapping import price_of
from omnigraph.db.models import (
    Channel,
    Customer,
    FulfillmentOrder,
    FulfillmentOrderLine,
    Location,
    Order,
    OrderLine,
    Product,
)
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.lifecycle import ORDER_TRANSITIONS, check_order_cancellable, check_transition
from omnigraph.domain.money import Money
from omnigraph.domain.orders import (
    OrderRequest,
    order_totals,
    price_lines,
)
from omnigraph.domain.promise import PlanRefusal, refusal_error
from omnigraph.domain.sourcing import check_requested_date
from omnigraph.domain.vocabulary import FulfillmentStatus, OrderStatus, PaymentStatus
from omnigraph.events.types import Topic
from omnigraph.services import express_orders, reservations
from omnigraph.services.backorders import claim_incoming, open_backorders, supply_claims
from omnigraph.services.capacity import is_deadlock, places_left
from omnigraph.services.capture_facts import (
    capture_facts,
    customer_email,
    products_with_protections,
)
from omnigraph.services.capture_rows import new_order, order_created_payload
from omnigraph.services.fulfilment_orders import cancel_fulfilments, open_planned, planned_commits
from omnigraph.services.inventory import StockCommit, commit_stock
from omnigraph.services.network import network_available, stocked_locations
from omnigraph.services.order_sourcing import pickup_of, quote_request, validate_request
from omnigraph.services.promise import MethodQuote
from omnigraph.services.reservation_conversion import (
    HeldStock,
    conversion_refusal,
    convert_hold,
    held_for_order,
)
from omnigraph.services.sourcing import load_inputs
from omnigraph.services.sourcing_trace import decision_row
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
from omnigraph.services.till_sales import hand_over_at_till
from omnigraph.services.timeline import Subject, record_cancelled, record_capture, record_change
from omnigraph.services.transitions import locked_order
from omnigraph.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from omnigraph.services.core import Services

# Another buyer may take the stock between sourcing and committing. Each attempt sources
# again from fresh stock and a caller is refused only when that fresh plan finds too little,
# so this bound is a guard against livelock, not a limit on contention (200 buyers racing
# for 50 units need far more than 3 rounds for the last units to find their buyers).
SOURCING_ATTEMPTS = 100
# How an order's planned stock is held: committed from available, or converted from a hold.
StockHold = Callable[[UnitOfWork, Sequence[StockCommit], int], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class OrderOutcome:
    order: Order
    replayed: bool = False
    # What a new order's capture wrote, for answers that show it without reading it back.
    written: WrittenRows | None = None


@dataclass(frozen=True, slots=True)
class WrittenRows:
    """A new order's rows as its capture left them (all of them: the order is new)."""

    lines: tuple[OrderLine, ...]
    fulfilments: tuple[FulfillmentOrder, ...]
    fulfilment_lines: tuple[FulfillmentOrderLine, ...]
    products: tuple[Product, ...]


def _written(
    inserted: Sequence[object], order: Order, products: Mapping[str, Product]
) -> WrittenRows:
    """The new order's lines, fulfilment orders and their lines, in the order the API's
    lookups return them, from the rows its capture inserted."""
    lines = sorted(
        (r for r in inserted if isinstance(r, OrderLine) and r.order_id == order.id),
        key=lambda r: r.line_number,
    )
    fulfilments = sorted(
        (r for r in inserted if isinstance(r, FulfillmentOrder) and r.order_id == order.id),
        key=lambda r: r.id,
    )
    ours = {fulfilment.id for fulfilment in fulfilments}
    fulfilment_lines = sorted(
        (
            r
            for r in inserted
            if isinstance(r, FulfillmentOrderLine) and r.fulfillment_order_id in ours
        ),
        key=lambda r: r.id,
    )
    sold = {line.product_id for line in lines}
    chosen = tuple(p for p in products.values() if p.id in sold)
    return WrittenRows(tuple(lines), tuple(fulfilments), tuple(fulfilment_lines), chosen)


class _StockMoved(Exception):
    """The plan's stock, or a capped location's last place today, was taken by a concurrent
    order; source again."""


_LATER_FIELDS = {
    "reservation_id": None,
    "requested_date": None,
    "payment_status": PaymentStatus.AUTHORIZED,
    "carried_out": False,
}


def fingerprint(request: OrderRequest) -> str:
    """A digest of what was asked, for telling a retry from a different order under the
    same idempotency key. It is stored with the order, so it must not change: the JSON of
    the request as ``dataclasses.asdict`` gives it, built without asdict's deep copies."""
    payload = _plain(request)
    assert isinstance(payload, dict)
    payload.pop("idempotency_key", None)
    # Fields added later are left out at their defaults, so the fingerprints of orders
    # stored before they existed stay valid.
    for later, default in _LATER_FIELDS.items():
        if payload.get(later) == default:
            payload.pop(later, None)
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def stored_fingerprint(request: OrderRequest) -> str | None:
    """What an order keeps of its request: the fingerprint a retry under its idempotency
    key is compared with; nothing without a key, for nothing will be compared."""
    return fingerprint(request) if request.idempotency_key is not None else None


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(field.name for field in fields(cls))


def _plain(value: object) -> object:
    """``value`` with its dataclasses turned into dicts, as ``asdict`` turns them."""
    if is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
        named: Any = type(value)
        return named(*(_plain(item) for item in value))
    if isinstance(value, list | tuple):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


async def _replayed(
    uow: UnitOfWork, channel: Channel | None, request: OrderRequest
) -> Order | None:
    if channel is None or request.idempotency_key is None:
        return None
    existing = await uow.session.scalar(
        select(Order).where(
            Order.channel_id == channel.id, Order.idempotency_key == request.idempotency_key
        )
    )
    if existing is not None and existing.request_fingerprint != fingerprint(request):
        raise DomainError.single(
            ("idempotencyKey",),
            ErrorCode.IDEMPOTENCY_CONFLICT,
            "this idempotency key was already used for a different order",
        )
    return existing


async def _customer(uow: UnitOfWork, request: OrderRequest, found: Customer | None) -> Customer:
    """The order's customer: ``found`` (read with the channel), else created now."""
    if found is not None:
        return found
    email = customer_email(request.customer.email)
    customer = None
    if not uow.is_sqlite:
        # Concurrent first orders of one customer: the first insert wins, the others read it.
        await uow.session.execute(
            pg_insert(Customer)
            .values(email=email, name=request.customer.name, phone=request.customer.phone)
            .on_conflict_do_nothing(index_elements=["email"])
        )
        customer = await uow.session.scalar(select(Customer).where(Customer.email == email))
    if customer is None:
        customer = Customer(email=email, name=request.customer.name, phone=request.customer.phone)
        uow.session.add(customer)
        await uow.session.flush()
    return customer


async def _attempt(services: Services, request: OrderRequest) -> OrderOutcome:
    async with services.unit_of_work(actor=f"channel:{request.channel}") as uow:
        session = uow.session
        inserted = uow.track_inserts()
        facts = await capture_facts(session, request.channel, request.customer.email)
        channel = facts.channel
        previous = await _replayed(uow, channel, request)
        if previous is not None:
            return OrderOutcome(previous, replayed=True)
        catalog = await products_with_protections(session, (line.sku for line in request.lines))
        products = catalog.products
        pickup = await pickup_of(session, request)
        validate_request(request, channel, products, pickup)
        assert channel is not None  # validate_order refused an unknown channel
        limits = await ruled_and_locked(
            uow,
            request.channel,
            products.values(),
            exposure_rows=facts.exposure,
            protected_rows=catalog.protected,
        )
        stocked = await stocked_locations(session, products, services.catalog)
        now = services.clock()
        held = await _held_stock(services, uow, request, now)
        # Units this customer holds count as available to them: the hold took them out of
        # everyone else's availability, not theirs.
        await check_sellable(
            uow,
            limits,
            request.channel,
            request.customer.email,
            request.lines,
            products,
            network_available(stocked, held.lines if held else ()),
        )
        if held is not None:
            stocked = held.stocked  # a conversion is sourced from its held units only
        # A hold's units are set aside already: the stored rules (thresholds, capacities)
        # decided whether to hold them, not whether this buyer may have them.
        inputs = (
            None
            # The goods are in the customer's hands: no threshold or capacity applies.
            if held is not None or request.carried_out
            else await load_inputs(session, services, stocked, products, now)
        )
        currency = services.settings.default_currency
        if request.requested_date is not None:
            check_requested_date(request.requested_date, now.astimezone(UTC).date())
        quote = await quote_request(
            services,
            request,
            products,
            stocked,
            pickup,
            now,
            currency=currency,
            inputs=inputs,
            # A hold's units (or goods carried out) are all there now; anything else may wait
            # for supply when the method's rules allow it or the customer asked for a date.
            backorders=held is None and not request.carried_out,
        )
        sourced: MethodQuote | StoreSupply | None = None
        if isinstance(quote, MethodQuote):
            sourced = quote
        elif (
            held is None
            and pickup is not None
            and quote.reason in STORE_SHORT
            and not request.carried_out  # goods carried out are on the shelf
        ):
            # The store lacks some units (or has none): another location may send them.
            sourced = await plan_store_supply(
                services,
                request.method,
                pickup,
                {line.sku: line.quantity for line in request.lines},
                products,
                stocked,
                now,
                currency=currency,
                channel=request.channel,
                inputs=inputs,
            )
        if sourced is None:
            assert isinstance(quote, PlanRefusal)
            raise conversion_refusal(quote) if held is not None else refusal_error(quote)
        if inputs is not None and not await places_left(
            uow, placed_at(sourced), services.catalog, now
        ):
            raise _StockMoved  # a concurrent order took a capped location's last place
        order = await _persist(
            uow,
            request,
            channel,
            await _customer(uow, request, facts.customer),
            products,
            sourced,
            now,
            hold=_stock_hold(held, now),
            store=pickup,
        )
        await uow.commit()
        return OrderOutcome(order, written=_written(inserted, order, products))


async def _held_stock(
    services: Services, uow: UnitOfWork, request: OrderRequest, now: datetime
) -> HeldStock | None:
    """The checked hold an order converts, or None for an order sourced from available."""
    if request.reservation_id is None:
        return None
    return await held_for_order(
        uow,
        request.reservation_id,
        request.lines,
        request.method,
        request.pickup_location_id,
        now,
        services.catalog,
    )


def _stock_hold(held: HeldStock | None, now: datetime) -> StockHold:
    if held is None:
        return commit_stock
    return functools.partial(convert_hold, held=held, now=now)


async def _persist(
    uow: UnitOfWork,
    request: OrderRequest,
    channel: Channel,
    customer: Customer,
    products: dict[str, Product],
    sourced: MethodQuote | StoreSupply,
    now: datetime,
    *,
    hold: StockHold = commit_stock,
    store: Location | None = None,
) -> Order:
    session = uow.session
    own = own_plan(sourced)
    priced = price_lines(request.lines, {sku: price_of(p) for sku, p in products.items()})
    currency = priced[0].unit_price.currency
    totals = order_totals(priced, own.price if own is not None else Money.zero(currency))
    order = new_order(request, channel, customer.id, totals, own, stored_fingerprint(request), now)
    session.add(order)
    await session.flush()
    parts = decision_parts(sourced, store)
    session.add(decision_row(order.id, parts, now, method=request.method.value))
    lines = {
        line.sku: OrderLine(
            order_id=order.id,
            line_number=index + 1,
            product_id=products[line.sku].id,
            quantity=line.quantity,
            unit_price_minor=line.unit_price.minor,
        )
        for index, line in enumerate(priced)
    }
    session.add_all(lines.values())
    fulfilments = (
        await open_planned(uow, order.id, own.plan, lines, reason=None) if own is not None else []
    )
    record_capture(uow, order, fulfilments, reason=f"captured on {channel.code}")
    sent = await send_to_store(uow, order, sourced, store, lines, products)
    commits = [*(planned_commits(own.plan, products) if own is not None else []), *sent.commits]
    waiting = supply_claims(own.decision.backorders, products) if own is not None else []
    if not await claim_incoming(uow, waiting, commits):
        raise _StockMoved
    if not await hold(uow, commits, order.id):
        raise _StockMoved
    uow.record(
        Topic.ORDER_CREATED,
        "order",
        order.id,
        order_created_payload(
            order,
            channel,
            request,
            totals,
            priced,
            own.plan.location_ids if own is not None else (),
            transfers=sent.facts,
            backorders=[
                {
                    "sku": claim.sku,
                    "quantity": claim.quantity,
                    "locationId": claim.location_id,
                    "arrivesOn": claim.arrives_on.isoformat(),
                }
                for claim in waiting
            ],
        ),
        order_id=order.id,
    )
    if waiting:
        # After order.created, so consumers hear of the order before its backorders.
        await session.flush()  # the lines' ids
        backorders = open_backorders(uow, order, waiting, lines)
        await session.flush()
        numbers = {line.id: line.line_number for line in lines.values()}
        for backorder in backorders:
            record_change(
                uow,
                order_id=order.id,
                subject=Subject.BACKORDER,
                subject_id=backorder.id,
                before=None,
                after="BACKORDERED",
                reason=backorder.reason,
                details={
                    "lineNumber": numbers[backorder.order_line_id],
                    "quantity": backorder.quantity,
                    "locationId": backorder.location_id,
                    "arrivesOn": str(backorder.arrives_on),
                },
            )
    if request.carried_out:
        # After order.created, so consumers hear of the order before it completes.
        till = store.code if store is not None else channel.code
        await hand_over_at_till(uow, order, fulfilments, commits, till)
    # What is still pending (timeline entries, fulfilment lines) is flushed with the events
    # by the caller's commit: one flush instead of two.
    return order


async def create_order(services: Services, request: OrderRequest) -> OrderOutcome:
    """Validate, source, price and capture an order, committing its stock atomically.

    The same idempotency key on the same channel returns the first order unchanged.
    """
    if express_orders.applies(services, request):
        try:
            captured = await express_orders.capture(services, request)
        except express_orders.NotExpress:
            pass
        else:
            return OrderOutcome(captured.order, written=captured.written)
    # Holds past their expiry give their stock back before this order is sourced.
    await reservations.expire_due(services, skus=[line.sku for line in request.lines])
    for _ in range(SOURCING_ATTEMPTS):
        try:
            return await _attempt(services, request)
        except _StockMoved:
            continue
        except IntegrityError:
            # A concurrent request with the same idempotency key won; the next attempt replays it.
            if request.idempotency_key is None:
                raise
            continue
        except DBAPIError as error:
            # PostgreSQL broke a lock cycle by rolling this attempt back (a capture that locks
            # its products for selling rules, against one holding a capped location's lock).
            if not is_deadlock(error):
                raise
            continue
    raise DomainError.single(
        ("lines",), ErrorCode.INSUFFICIENT_STOCK, "the stock was taken by other orders"
    )


_ACTIVE_FULFILMENT = (
    FulfillmentStatus.OPEN,
    FulfillmentStatus.RELEASED,
    FulfillmentStatus.ACCEPTED,
    FulfillmentStatus.PICKING,
    FulfillmentStatus.PACKED,
    FulfillmentStatus.READY_FOR_PICKUP,
)


async def cancel_order(
    services: Services, order_id: int, reason: str | None, actor: str | None = None
) -> Order:
    """Cancel a whole order before its goods leave, giving all of its held stock back."""
    async with services.unit_of_work(actor=actor) as uow:
        session = uow.session
        order = await locked_order(uow, order_id)
        current = OrderStatus(order.status)
        check_order_cancellable(current)
        check_transition("order", ORDER_TRANSITIONS, current, OrderStatus.CANCELLED)
        now = services.clock()
        await cancel_fulfilments(uow, order.id, _ACTIVE_FULFILMENT, reason or "order cancelled")
        for line in await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)):
            line.quantity_cancelled = line.quantity
        # order.cancelled below is this transition's event; the timeline records it too.
        record_change(
            uow,
            order_id=order.id,
            subject=Subject.ORDER,
            subject_id=order.id,
            before=current.value,
            after=OrderStatus.CANCELLED.value,
            reason=reason,
            publish=False,
        )
        order.status = OrderStatus.CANCELLED.value
        order.cancel_reason = reason
        order.updated_at = now
        record_cancelled(uow, order.id, current.value, reason)
        await session.flush()
        await uow.commit()
        return order
