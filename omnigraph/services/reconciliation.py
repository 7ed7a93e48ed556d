"""Inventory reconciliation: recompute every level from the ledger and report any drift.

Two aggregate queries, whatever the size of the network: the levels, and the movement sums
grouped by level and bucket. Both read one snapshot (see ``_snapshot``), so a change
committed between them cannot show up as a false drift.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import InventoryLevel, InventoryMovement, Location, Product
from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.inventory import StockLevel
from omnigraph.domain.reconciliation import Drift, RecordedLevel, reconcile
from omnigraph.domain.vocabulary import InventoryBucket
from omnigraph.services.network import products_by_sku

if TYPE_CHECKING:
    from omnigraph.services.core import Services

MAX_SKUS = 1_000


@dataclass(frozen=True, slots=True)
class ReconciliationFilter:
    location_id: int | None = None
    location_code: str | None = None
    skus: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """The report, with each drifting level's location code and SKU for display."""

    checked_levels: int
    drifts: tuple[Drift, ...]
    location_codes: Mapping[int, str] = field(default_factory=dict)
    skus: Mapping[int, str] = field(default_factory=dict)

    @property
    def is_clean(self) -> bool:
        return not self.drifts


@asynccontextmanager
async def _snapshot(services: Services) -> AsyncIterator[AsyncSession]:
    """A session whose queries all see the same committed state.

    PostgreSQL: a REPEATABLE READ transaction. SQLite's driver starts no transaction for
    reads, so each SELECT would see the latest commit; holding the process's write gate
    keeps writers out for the two queries instead (SQLite serves one process).
    """
    if services.db.write_gate is None:
        async with services.db.read_session() as session:
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session
        return
    async with services.db.write_gate, services.db.read_session() as session:
        yield session


async def reconcile_inventory(
    services: Services, where: ReconciliationFilter = ReconciliationFilter()
) -> Reconciliation:
    """Compare each level (optionally of one location and some SKUs) with its ledger sum.

    Raises ``DomainError`` for an unknown location or SKU: an operator's typo must not read
    as "no drift". Drift is reported, not repaired.
    """
    problems: list[Problem] = []
    if len(where.skus) > MAX_SKUS:
        raise DomainError.single(("skus",), ErrorCode.INVALID, f"at most {MAX_SKUS} SKUs")
    L, M = InventoryLevel, InventoryMovement
    async with _snapshot(services) as session:
        location_id = where.location_id
        if where.location_code is not None:
            location_id = await session.scalar(
                select(Location.id).where(Location.code == where.location_code)
            )
            if location_id is None:
                problems.append(
                    Problem(
                        ("location",),
                        ErrorCode.UNKNOWN_LOCATION,
                        f"unknown location {where.location_code!r}",
                    )
                )
        elif location_id is not None and await session.get(Location, location_id) is None:
            problems.append(
                Problem(("locationId",), ErrorCode.UNKNOWN_LOCATION, "unknown location")
            )
        products = await products_by_sku(session, where.skus)
        problems.extend(
            Problem(("skus", str(index)), ErrorCode.UNKNOWN_SKU, f"unknown SKU {sku!r}")
            for index, sku in enumerate(where.skus)
            if sku not in products
        )
        if problems:
            raise DomainError(problems)
        product_ids = [product.id for product in products.values()]

        level_query = (
            select(
                L.location_id,
                L.product_id,
                L.on_hand,
                L.committed,
                L.reserved,
                L.safety_stock,
                L.damaged,
                L.incoming,
                Location.code,
                Product.sku,
            )
            .join(Location, Location.id == L.location_id)
            .join(Product, Product.id == L.product_id)
        )
        ledger_query = (
            select(
                M.location_id, M.product_id, M.bucket, func.sum(M.delta), Location.code, Product.sku
            )
            .join(Location, Location.id == M.location_id)
            .join(Product, Product.id == M.product_id)
            .group_by(M.location_id, M.product_id, M.bucket, Location.code, Product.sku)
        )
        if location_id is not None:
            level_query = level_query.where(L.location_id == location_id)
            ledger_query = ledger_query.where(M.location_id == location_id)
        if product_ids:
            level_query = level_query.where(L.product_id.in_(product_ids))
            ledger_query = ledger_query.where(M.product_id.in_(product_ids))
        level_rows = (await session.execute(level_query)).all()
        ledger_rows = (await session.execute(ledger_query)).all()

    codes: dict[int, str] = {}
    skus: dict[int, str] = {}
    levels = []
    for row in level_rows:
        codes[row.location_id], skus[row.product_id] = row.code, row.sku
        levels.append(
            RecordedLevel(
                row.location_id,
                row.product_id,
                StockLevel(
                    row.on_hand,
                    row.committed,
                    row.reserved,
                    row.safety_stock,
                    row.damaged,
                    row.incoming,
                ),
            )
        )
    ledger: dict[tuple[int, int, InventoryBucket], int] = {}
    for location, product, bucket, total, code, sku in ledger_rows:
        codes[location], skus[product] = code, sku
        ledger[(location, product, InventoryBucket(bucket))] = int(total)
    report = reconcile(levels, ledger)
    return Reconciliation(report.checked_levels, report.drifts, codes, skus)
