"""Reconciliation: levels must equal the running sum of their ledger movements.

The ledger is append-only and every writer moves a level and writes its movement in one
transaction, so any difference means something wrote a level behind the ledger's back (a
hand-run SQL update, a bad migration, a restore of one table). Drift is reported, never
repaired here: which side is right is a decision for a person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from omnigraph.domain.inventory import StockLevel
from omnigraph.domain.vocabulary import InventoryBucket

# (location id, product id)
LevelKey = tuple[int, int]
BUCKET_ORDER = {bucket: index for index, bucket in enumerate(InventoryBucket)}


@dataclass(frozen=True, slots=True)
class RecordedLevel:
    location_id: int
    product_id: int
    stock: StockLevel


@dataclass(frozen=True, slots=True)
class Drift:
    """One quantity state of one level that its ledger does not account for."""

    location_id: int
    product_id: int
    bucket: InventoryBucket
    recorded: int
    from_ledger: int

    @property
    def difference(self) -> int:
        return self.recorded - self.from_ledger


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    checked_levels: int
    drifts: tuple[Drift, ...]

    @property
    def is_clean(self) -> bool:
        return not self.drifts


def reconcile(
    levels: Iterable[RecordedLevel],
    ledger: Mapping[tuple[int, int, InventoryBucket], int],
) -> ReconciliationReport:
    """Compare every bucket of every level with the sum of its movements.

    A ledger sum for a level that has no row is drift too (recorded 0): the row was lost,
    or movements were written for stock that never reached a level.
    """
    recorded: dict[LevelKey, StockLevel] = {
        (level.location_id, level.product_id): level.stock for level in levels
    }
    keys = set(recorded) | {(location, product) for location, product, _ in ledger}
    drifts = [
        Drift(location, product, bucket, quantity, from_ledger)
        for location, product in keys
        for bucket in InventoryBucket
        if (quantity := recorded.get((location, product), StockLevel()).quantity(bucket))
        != (from_ledger := ledger.get((location, product, bucket), 0))
    ]
    drifts.sort(key=lambda d: (d.location_id, d.product_id, BUCKET_ORDER[d.bucket]))
    return ReconciliationReport(checked_levels=len(keys), drifts=tuple(drifts))
