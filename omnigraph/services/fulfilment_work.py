"""Store and warehouse work on a fulfilment order: accept, reject, pack, stage for pickup
and hand over; and undoing a pack or a staging when a cancellation takes units out.
Picking is in ``services.picking``, shipping in ``services.shipments``.

Every action locks the order and the fulfilment order, checks the state machine (an
illegal move is an INVALID_TRANSITION userError naming the state), writes the change with
its timeline entry and event, and rolls the order's status up. Doing an action that is
already done returns the current state with ``replayed``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from omnigraph.db.models import (
    Customer,
    FulfillmentOrder,
    FulfillmentOrderLine,
    Handover,
    Location,
    Order,
    OrderLine,
    Package,
    Product,
    Transfer,
)
from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.fulfilment import pack, pick_outcome, verify_handover
from omnigraph.domain.lifecycle import FULFILLMENT_TRANSITIONS, check_transition
from omnigraph.domain.orders import order_number
from omnigraph.domain.vocabulary import FulfillmentKind, FulfillmentStatus
from omnigraph.services.fulfilment_stock import sell
from omnigraph.services.inventory import StockCommit, release_stock
from omnigraph.services.pick_lists import pick_list, state_of
from omnigraph.services.resourcing import reroute, retrying
from omnigraph.services.timeline import Subject, record_change
from omnigraph.services.transitions import locked_fulfilment, move_fulfilment, roll_up
from omnigraph.services.unit_of_work import UnitOfWork
from omnigraph.services.work_outcome import WorkOutcome

if TYPE_CHECKING:
    from omnigraph.services.core import Services

F = FulfillmentStatus
_FIELD = ("fulfillmentOrderId",)
# No 0/O or 1/I: the code is read out at a counter.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PICKUP_CODE_LENGTH = 6
# How long a staged order is held for the customer.
PICKUP_HOLD = timedelta(days=7)


def _check(fulfilment: FulfillmentOrder, target: FulfillmentStatus) -> None:
    check_transition(
        "fulfilment order", FULFILLMENT_TRANSITIONS, F(fulfilment.status), target, _FIELD
    )


async def stock_lines(uow: UnitOfWork, fulfilment: FulfillmentOrder) -> list[StockCommit]:
    """The units a fulfilment order holds at its location, one entry per line."""
    rows = await uow.session.execute(
        select(FulfillmentOrderLine.quantity, OrderLine.product_id, Product.sku)
        .join(OrderLine, OrderLine.id == FulfillmentOrderLine.order_line_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(FulfillmentOrderLine.fulfillment_order_id == fulfilment.id)
    )
    return [
        StockCommit(fulfilment.location_id, product_id, sku, quantity)
        for quantity, product_id, sku in rows
    ]


async def accept(services: Services, fulfilment_id: int, actor: str | None = None) -> WorkOutcome:
    """The location takes the work on: RELEASED -> ACCEPTED."""
    async with services.unit_of_work(actor=actor) as uow:
        fulfilment, order = await locked_fulfilment(uow, fulfilment_id)
        if fulfilment.status == F.ACCEPTED:
            return WorkOutcome(fulfilment, order, replayed=True)
        move_fulfilment(uow, fulfilment, F.ACCEPTED, "accepted by the location")
        await roll_up(uow, order, "fulfilment order accepted")
        await uow.commit()
        return WorkOutcome(fulfilment, order)


async def reject(
    services: Services, fulfilment_id: int, reason: str | None, actor: str | None = None
) -> WorkOutcome:
    """The location declines: its stock is given back and the lines are re-sourced to other
    locations (never to one that rejected this order before), or backordered."""

    async def attempt() -> WorkOutcome:
        async with services.unit_of_work(actor=actor) as uow:
            fulfilment, order = await locked_fulfilment(uow, fulfilment_id)
            if fulfilment.status == F.REJECTED:
                return WorkOutcome(fulfilment, order, replayed=True)
            why = f"rejected by the location: {reason}" if reason else "rejected by the location"
            move_fulfilment(uow, fulfilment, F.REJECTED, why)
            lines = await stock_lines(uow, fulfilment)
            await release_stock(uow, lines, order.id)
            refused = set(
                await uow.session.scalars(
                    select(FulfillmentOrder.location_id).where(
                        FulfillmentOrder.order_id == order.id,
                        FulfillmentOrder.status == F.REJECTED.value,
                    )
                )
            )
            units = await _units_by_order_line(uow, fulfilment)
            moved = await reroute(
                services, uow, order, units, refused | {fulfilment.location_id}, why
            )
            await announce_collections(uow, order, why)
            await roll_up(uow, order, why)
            await uow.commit()
            return WorkOutcome(
                fulfilment,
                order,
                rerouted=tuple(moved.fulfilments),
                backordered=moved.backordered,
            )

    return await retrying(attempt)


async def _units_by_order_line(uow: UnitOfWork, fulfilment: FulfillmentOrder) -> dict[int, int]:
    rows = await uow.session.scalars(
        select(FulfillmentOrderLine).where(
            FulfillmentOrderLine.fulfillment_order_id == fulfilment.id
        )
    )
    return {row.order_line_id: row.quantity for row in rows}


async def pack_fulfilment(
    services: Services,
    fulfilment_id: int,
    packages: Sequence[Mapping[int, int]],
    weights: Sequence[int | None],
    actor: str | None = None,
) -> WorkOutcome:
    """Pack every picked unit into one or more packages: PICKING -> PACKED.

    ``packages`` map order line numbers to units; every picked unit must be in exactly one
    package (PACKING_MISMATCH otherwise) and the pick must be complete.
    """
    async with services.unit_of_work(actor=actor) as uow:
        fulfilment, order = await locked_fulfilment(uow, fulfilment_id)
        lines = await pick_list(uow.session, fulfilment)
        by_number = {line.line_number: line for line in lines}
        problems = [
            Problem(
                ("packages", str(index), "lines"),
                ErrorCode.PACKING_MISMATCH,
                f"line {number} is not on this fulfilment order",
            )
            for index, package in enumerate(packages)
            for number in package
            if number not in by_number
        ]
        if problems:
            raise DomainError(problems)
        contents = [
            {by_number[number].order_line_id: qty for number, qty in package.items()}
            for package in packages
        ]
        if fulfilment.status == F.PACKED and await _packed_contents(uow, fulfilment) == contents:
            return WorkOutcome(fulfilment, order, replayed=True)
        _check(fulfilment, F.PACKED)
        outcome = pick_outcome(state_of(lines))
        if not outcome.complete:
            left = sum(outcome.outstanding.values())
            raise DomainError.single(
                _FIELD,
                ErrorCode.INVALID_TRANSITION,
                f"the pick is not complete: {left} unit(s) still to pick or mark short",
            )
        packed = pack(outcome.picked, contents)
        weight_of = {line.order_line_id: line.product_id for line in lines}
        product_weights = {
            product.id: product.weight_grams
            for product in await uow.session.scalars(
                select(Product).where(Product.id.in_(set(weight_of.values())))
            )
        }
        for number, (package, weight) in enumerate(zip(packed, weights, strict=True), start=1):
            uow.session.add(
                Package(
                    fulfillment_order_id=fulfilment.id,
                    number=number,
                    contents={str(line_id): qty for line_id, qty in package.items()},
                    weight_grams=weight
                    if weight is not None
                    else sum(product_weights[weight_of[i]] * q for i, q in package.items()),
                    created_at=uow.now(),
                )
            )
        move_fulfilment(uow, fulfilment, F.PACKED, "packed", details={"packages": len(packed)})
        await roll_up(uow, order, "fulfilment order packed")
        await uow.commit()
        return WorkOutcome(fulfilment, order)


async def _packed_contents(uow: UnitOfWork, fulfilment: FulfillmentOrder) -> list[dict[int, int]]:
    rows = await uow.session.scalars(
        select(Package)
        .where(Package.fulfillment_order_id == fulfilment.id)
        .order_by(Package.number)
    )
    return [{int(k): int(v) for k, v in row.contents.items()} for row in rows]


async def unpack(uow: UnitOfWork, fulfilment: FulfillmentOrder, reason: str) -> None:
    """Open a PACKED fulfilment order again after units were taken out of it: its packages
    are dropped and it is back in PICKING, its pick complete, to be packed again."""
    move_fulfilment(uow, fulfilment, F.PICKING, reason, details={"repack": True})
    await uow.session.execute(delete(Package).where(Package.fulfillment_order_id == fulfilment.id))


async def unstage(
    uow: UnitOfWork, fulfilment: FulfillmentOrder, order_line_id: int, units: int, grams: int
) -> None:
    """Take ``units`` of an order line (``grams`` each) out of a staged fulfilment order's
    packages, last package first; a package left empty is dropped and the others are
    numbered on without a gap. The collection and its pickup code stay as they were."""
    packages = list(
        await uow.session.scalars(
            select(Package)
            .where(Package.fulfillment_order_id == fulfilment.id)
            .order_by(Package.number.desc())
        )
    )
    key = str(order_line_id)
    for package in packages:
        held = int(package.contents.get(key, 0))
        out = min(units, held)
        if not out:
            continue
        units -= out
        contents = {k: int(v) for k, v in package.contents.items() if k != key}
        if held > out:
            contents[key] = held - out
        package.contents = contents
        package.weight_grams = max(package.weight_grams - out * grams, 0)
    kept = [package for package in reversed(packages) if package.contents]
    for package in packages:
        if not package.contents:
            await uow.session.delete(package)
    await uow.session.flush()
    for number, package in enumerate(kept, start=1):
        if package.number != number:
            package.number = number
            await uow.session.flush()  # one at a time: (fulfilment order, number) is unique


def new_pickup_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(PICKUP_CODE_LENGTH))


async def ready_for_pickup(
    services: Services, fulfilment_id: int, actor: str | None = None
) -> WorkOutcome:
    """A packed pickup or curbside order is staged: PACKED -> READY_FOR_PICKUP.

    When that makes the order's whole collection at the store staged, the collection is
    announced (one pickup code, in the event for the notifier); otherwise the staged
    units wait for the rest (``waitingFor`` in the event) and the customer hears nothing.
    """
    async with services.unit_of_work(actor=actor) as uow:
        fulfilment, order = await locked_fulfilment(uow, fulfilment_id)
        if fulfilment.status == F.READY_FOR_PICKUP:
            return WorkOutcome(fulfilment, order, replayed=True)
        if fulfilment.kind != FulfillmentKind.PICKUP.value:
            raise DomainError.single(
                _FIELD,
                ErrorCode.INVALID_TRANSITION,
                f"a {fulfilment.kind} fulfilment order is shipped, not collected",
            )
        _check(fulfilment, F.READY_FOR_PICKUP)
        staged, waiting = await _collection(uow, order.id, fulfilment.location_id, fulfilment)
        if waiting:
            reason = "staged; the rest of the order is not at the store yet"
            details: dict[str, object] = {"waitingFor": waiting}
        else:
            reason = "ready for pickup"
            details = await _announce(uow, staged)
        move_fulfilment(uow, fulfilment, F.READY_FOR_PICKUP, reason, details=details)
        await roll_up(uow, order, "ready for pickup")
        await uow.commit()
        return WorkOutcome(fulfilment, order)


# One collection per order and store. Units a transfer brings are picked from a pickup
# fulfilment order of their own (so each pick list holds exactly the units on the shelf
# when it is worked), but the customer comes once: staging one of them waits while
# another is still being prepared or a transfer to the store is on its way, and the last
# one staged announces them all, with one pickup code that hands them all over. Backorders
# do not hold a collection back: nobody knows when they will arrive.
_NOT_COLLECTED = (F.REJECTED.value, F.CANCELLED.value, F.PICKED_UP.value)


async def _collection(
    uow: UnitOfWork, order_id: int, location_id: int, staging: FulfillmentOrder | None = None
) -> tuple[list[FulfillmentOrder], list[int]]:
    """The order's staged pickup fulfilment orders at a store not yet announced (with
    ``staging``, being staged now), and the ids of those the collection still waits for:
    pickup fulfilment orders there not staged yet and transfers on their way there."""
    staging_id = staging.id if staging is not None else None
    pickups = list(
        await uow.session.scalars(
            select(FulfillmentOrder)
            .where(
                FulfillmentOrder.order_id == order_id,
                FulfillmentOrder.location_id == location_id,
                FulfillmentOrder.kind == FulfillmentKind.PICKUP.value,
                FulfillmentOrder.status.not_in(_NOT_COLLECTED),
            )
            .order_by(FulfillmentOrder.id)
        )
    )
    announced = set(
        await uow.session.scalars(
            select(Handover.fulfillment_order_id).where(
                Handover.fulfillment_order_id.in_([f.id for f in pickups])
            )
        )
    )
    staged = [
        f
        for f in pickups
        if f.id not in announced and (f.id == staging_id or f.status == F.READY_FOR_PICKUP)
    ]
    waiting = [f.id for f in pickups if f.id != staging_id and f.status != F.READY_FOR_PICKUP]
    waiting.extend(
        await uow.session.scalars(
            select(FulfillmentOrder.id)
            .join(Transfer, Transfer.fulfillment_order_id == FulfillmentOrder.id)
            .where(
                FulfillmentOrder.order_id == order_id,
                Transfer.destination_location_id == location_id,
                FulfillmentOrder.status.not_in(
                    (F.REJECTED.value, F.CANCELLED.value, F.DELIVERED.value)
                ),
            )
            .order_by(FulfillmentOrder.id)
        )
    )
    return staged, waiting


async def _announce(uow: UnitOfWork, staged: Sequence[FulfillmentOrder]) -> dict[str, object]:
    """Give the staged fulfilment orders of a complete collection one pickup code; what
    the customer needs to come (for the event): the code, where, and until when."""
    code = new_pickup_code()
    for fulfilment in staged:
        uow.session.add(
            Handover(fulfillment_order_id=fulfilment.id, pickup_code=code, created_at=uow.now())
        )
    location = await uow.session.get(Location, staged[0].location_id)
    assert location is not None
    return {
        "pickupCode": code,
        "fulfillmentOrderIds": [fulfilment.id for fulfilment in staged],
        "locationName": location.name,
        "address": ", ".join(
            part for part in (location.address_line1, location.city, location.postal_code) if part
        ),
        "collectBy": (uow.now() + PICKUP_HOLD).date().isoformat(),
    }


async def announce_collections(uow: UnitOfWork, order: Order, reason: str) -> None:
    """Announce each of the order's collections that nothing holds back any more (the
    units it waited for were cancelled or went elsewhere): an event on its last staged
    fulfilment order, READY_FOR_PICKUP again, carrying the pickup code."""
    await uow.session.flush()
    stores = set(
        await uow.session.scalars(
            select(FulfillmentOrder.location_id).where(
                FulfillmentOrder.order_id == order.id,
                FulfillmentOrder.status == F.READY_FOR_PICKUP.value,
            )
        )
    )
    for location_id in sorted(stores):
        staged, waiting = await _collection(uow, order.id, location_id)
        if not staged or waiting:
            continue
        last = staged[-1]
        record_change(
            uow,
            order_id=order.id,
            subject=Subject.FULFILLMENT_ORDER,
            subject_id=last.id,
            before=last.status,
            after=last.status,
            reason=f"ready for pickup, nothing left to wait for ({reason})",
            details={
                "locationId": location_id,
                "kind": last.kind,
                **await _announce(uow, staged),
            },
        )


async def hand_over(
    services: Services,
    fulfilment_id: int,
    *,
    pickup_code: str | None,
    order_number_given: str | None,
    customer_name: str | None,
    actor: str | None = None,
) -> WorkOutcome:
    """Hand a staged collection to the customer after checking the pickup code, or the
    order number with the customer's name: every fulfilment order announced with this
    one moves READY_FOR_PICKUP -> PICKED_UP and its units are sold. Staged units still
    waiting for the rest of the order are refused (INVALID_TRANSITION)."""
    async with services.unit_of_work(actor=actor) as uow:
        fulfilment, order = await locked_fulfilment(uow, fulfilment_id)
        if fulfilment.status == F.PICKED_UP:
            return WorkOutcome(fulfilment, order, replayed=True)
        _check(fulfilment, F.PICKED_UP)
        handover = await uow.session.get(Handover, fulfilment.id)
        if handover is None:
            raise DomainError.single(
                _FIELD,
                ErrorCode.INVALID_TRANSITION,
                "the order is not ready for pickup yet: the rest of it is still on its way "
                "to the store or being prepared",
            )
        customer = await uow.session.get(Customer, order.customer_id)
        assert customer is not None
        proof = verify_handover(
            order_number(order.id),
            customer.name,
            handover.pickup_code,
            presented_order_number=order_number_given,
            presented_name=customer_name,
            presented_code=pickup_code,
        )
        together = await uow.session.execute(
            select(FulfillmentOrder, Handover)
            .join(Handover, Handover.fulfillment_order_id == FulfillmentOrder.id)
            .where(
                FulfillmentOrder.order_id == order.id,
                FulfillmentOrder.location_id == fulfilment.location_id,
                FulfillmentOrder.status == F.READY_FOR_PICKUP.value,
                Handover.pickup_code == handover.pickup_code,
                Handover.handed_over_at.is_(None),
            )
            .order_by(FulfillmentOrder.id)
        )
        for collected, its_handover in together.all():
            await sell(
                uow, await stock_lines(uow, collected), f"picked up, {order_number(order.id)}"
            )
            its_handover.proof = proof.value
            its_handover.handed_over_at = uow.now()
            move_fulfilment(
                uow,
                collected,
                F.PICKED_UP,
                "handed over to the customer",
                details={"proof": proof.value},
            )
        await roll_up(uow, order, "picked up by the customer")
        await uow.commit()
        return WorkOutcome(fulfilment, order)
