"""Cycle counts: ``recordInventoryCount``, what a store or a WMS sends after counting shelves.

One count is one unit of work. Each line whose quantity differs from the ledger becomes a
``CYCLE_COUNT`` movement on ``ON_HAND`` (with its ``inventory.changed`` event); lines that
match write nothing. The count itself is recorded as one ``inventory.counted`` outbox event
holding what was counted and the discrepancies found: that event is also the idempotency
record, so a resent count, even one in which nothing differed, changes nothing and returns
the same discrepancies.

Decisions:

- A count is applied whole or not at all. An unknown SKU, a duplicated SKU or a negative
  quantity refuses the whole count with userErrors: if the rest were applied, the sender's
  corrected resend (same external id) would be a replay and the fixed line would never land.
- A count below what orders and checkouts hold is accepted (the shelf is the truth) and
  each such line reports its ``shortfall``.
- SKUs the count does not mention are left alone: cycle counts cover a zone at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.mapping import level_of
from omnigraph.db.models import InventoryMovement, Location, OutboxEvent
from omnigraph.domain.counts import CountLine, Discrepancy, compare_count, count_problems
from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.vocabulary import InventoryBucket, MovementReason
from omnigraph.events.types import Topic
from omnigraph.services.inventory import apply_change, lock_levels
from omnigraph.services.network import products_by_sku
from omnigraph.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from omnigraph.services.core import Services

# Not (yet) in omnigraph.events.types.Topic, which belongs to the events module; plugins are
# told that new topics appear over time and to ignore the ones they do not know.
COUNT_TOPIC = Topic.INVENTORY_COUNTED.value
COUNT_AGGREGATE = "location"


@dataclass(frozen=True, slots=True)
class RecordCount:
    location_id: int
    lines: Sequence[CountLine]
    source: str
    external_id: str
    counted_at: datetime | None = None
    actor: str | None = None


@dataclass(frozen=True, slots=True)
class CountResult:
    location_id: int
    discrepancies: tuple[Discrepancy, ...]
    replayed: bool = False


def _command_problems(command: RecordCount) -> list[Problem]:
    problems = []
    if not command.external_id.strip():
        problems.append(
            Problem(("externalId",), ErrorCode.REQUIRED, "a count needs the sender's id for it")
        )
    if not command.source.strip():
        problems.append(Problem(("source",), ErrorCode.REQUIRED, "name the system that counted"))
    if command.counted_at is not None and command.counted_at.utcoffset() is None:
        problems.append(Problem(("countedAt",), ErrorCode.INVALID, "countedAt needs a UTC offset"))
    return problems


async def _lock_location(uow: UnitOfWork, location_id: int) -> Location | None:
    """The location, locked so that counts at one location run one at a time.

    FOR NO KEY UPDATE: it serialises counts (and makes the replay check below race-free)
    without blocking orders, whose inserts only take a key-share lock on the location.
    """
    query = select(Location).where(Location.id == location_id)
    if not uow.is_sqlite:
        query = query.with_for_update(key_share=True)
    return await uow.session.scalar(query)


async def _one_count_per_id(uow: UnitOfWork, source: str, external_id: str) -> None:
    """On PostgreSQL, serialise counts sharing an external id, whatever their location: the
    location lock alone would let the same id be applied at two locations at once. The
    transaction-scoped advisory lock is released at commit or rollback."""
    if not uow.is_sqlite:
        await uow.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"inventory-count:{source}:{external_id}"},
        )


async def _previous_count(
    session: AsyncSession, source: str, external_id: str
) -> OutboxEvent | None:
    payload = OutboxEvent.payload
    return await session.scalar(
        select(OutboxEvent)
        .where(
            OutboxEvent.topic == COUNT_TOPIC,
            payload["source"].as_string() == source,
            payload["externalId"].as_string() == external_id,
        )
        .order_by(OutboxEvent.id)
        .limit(1)
    )


async def _external_id_used(session: AsyncSession, source: str, external_id: str) -> bool:
    """True when another kind of change (setInventory, say) already took this external id."""
    found = await session.scalar(
        select(InventoryMovement.id)
        .where(InventoryMovement.source == source, InventoryMovement.external_id == external_id)
        .limit(1)
    )
    return found is not None


async def _moved_since(
    session: AsyncSession, location_id: int, product_ids: Sequence[int], since: datetime
) -> dict[int, int]:
    """Net ON_HAND movement per product recorded after ``since``, in one aggregate query."""
    M = InventoryMovement
    rows = await session.execute(
        select(M.product_id, func.sum(M.delta))
        .where(
            M.location_id == location_id,
            M.product_id.in_(product_ids),
            M.bucket == InventoryBucket.ON_HAND.value,
            M.created_at > since,
        )
        .group_by(M.product_id)
    )
    return {product_id: int(total) for product_id, total in rows.all()}


def _discrepancy_payload(item: Discrepancy) -> dict[str, Any]:
    return {
        "sku": item.sku,
        "expected": item.expected,
        "counted": item.counted,
        "delta": item.delta,
        "shortfall": item.shortfall,
    }


def _discrepancy_of(data: Mapping[str, Any]) -> Discrepancy:
    return Discrepancy(
        sku=str(data["sku"]),
        expected=int(data["expected"]),
        counted=int(data["counted"]),
        delta=int(data["delta"]),
        shortfall=int(data.get("shortfall", 0)),
    )


def _replay(previous: OutboxEvent, command: RecordCount) -> CountResult:
    payload = previous.payload
    same = payload.get("locationId") == command.location_id and payload.get("counts") == {
        line.sku: line.quantity for line in command.lines
    }
    if not same:
        raise DomainError.single(
            ("externalId",),
            ErrorCode.IDEMPOTENCY_CONFLICT,
            f"count {command.external_id} from {command.source} was already recorded"
            " with other lines or at another location",
        )
    return CountResult(
        command.location_id,
        tuple(_discrepancy_of(item) for item in payload.get("discrepancies", [])),
        replayed=True,
    )


async def record_inventory_count(services: Services, command: RecordCount) -> CountResult:
    """Set ``on_hand`` at one location from a physical count and report what differed.

    Refuses the whole count (``DomainError``, nothing written) for an unknown location or
    SKU, a SKU counted twice, a negative quantity, a missing external id or source, or an
    external id already used for different lines. Returns the discrepancies (lines whose
    count differs from the ledger) with the shortfall each leaves against held stock; a
    resent count returns the first answer with ``replayed``.
    """
    problems = _command_problems(command)
    async with services.unit_of_work(actor=command.actor) as uow:
        session = uow.session
        location = await _lock_location(uow, command.location_id)
        products = await products_by_sku(session, (line.sku for line in command.lines))
        if location is None:
            problems.append(
                Problem(("locationId",), ErrorCode.UNKNOWN_LOCATION, "unknown location")
            )
        problems.extend(count_problems(command.lines, products))
        if problems:
            raise DomainError(problems)
        await _one_count_per_id(uow, command.source, command.external_id)
        previous = await _previous_count(session, command.source, command.external_id)
        if previous is not None:
            return _replay(previous, command)
        if await _external_id_used(session, command.source, command.external_id):
            raise DomainError.single(
                ("externalId",),
                ErrorCode.IDEMPOTENCY_CONFLICT,
                f"external id {command.external_id} from {command.source} was already used"
                " for another inventory change",
            )
        product_ids = [products[line.sku].id for line in command.lines]
        rows = await lock_levels(
            uow,
            command.location_id,
            product_ids,
            create=[products[line.sku].id for line in command.lines if line.quantity > 0],
        )
        moved = (
            await _moved_since(session, command.location_id, product_ids, command.counted_at)
            if command.counted_at is not None
            else {}
        )
        discrepancies: list[Discrepancy] = []
        for line in command.lines:
            product = products[line.sku]
            row = rows.get(product.id)
            if row is None:  # counted zero where nothing was ever stocked: nothing to record
                continue
            outcome = compare_count(
                line.sku, level_of(row), line.quantity, moved.get(product.id, 0)
            )
            if outcome.applied_delta:
                await apply_change(
                    uow,
                    row,
                    line.sku,
                    InventoryBucket.ON_HAND,
                    outcome.after,
                    outcome.applied_delta,
                    MovementReason.CYCLE_COUNT,
                    source=command.source,
                    external_id=command.external_id,
                    actor=command.actor,
                    note=f"counted {line.quantity}",
                )
            if outcome.discrepancy is not None:
                discrepancies.append(outcome.discrepancy)
        uow.record(
            COUNT_TOPIC,
            COUNT_AGGREGATE,
            command.location_id,
            {
                "locationId": command.location_id,
                "source": command.source,
                "externalId": command.external_id,
                "countedAt": command.counted_at.isoformat() if command.counted_at else None,
                "counts": {line.sku: line.quantity for line in command.lines},
                "discrepancies": [_discrepancy_payload(item) for item in discrepancies],
            },
        )
        await uow.commit()
    return CountResult(command.location_id, tuple(discrepancies))
