"""The reconciliation report: levels the ledger does not account for."""

import strawberry

from omnigraph.api.types.catalog import AtLocation
from omnigraph.api.types.common import InventoryBucket
from omnigraph.domain.reconciliation import Drift
from omnigraph.services.reconciliation import Reconciliation


@strawberry.type(description="One quantity state whose value differs from its ledger sum.")
class InventoryDrift(AtLocation):
    bucket: InventoryBucket  # type: ignore[valid-type]
    recorded: int = strawberry.field(description="The value on the level.")
    from_ledger: int = strawberry.field(description="The sum of the level's movements.")
    difference: int = strawberry.field(description="recorded - fromLedger.")

    @classmethod
    def of(cls, drift: Drift) -> "InventoryDrift":
        return cls(
            bucket=InventoryBucket(drift.bucket),
            recorded=drift.recorded,
            from_ledger=drift.from_ledger,
            difference=drift.difference,
            location_id=drift.location_id,
            product_id=drift.product_id,
        )


@strawberry.type(description="Levels recomputed from the ledger; empty drifts means consistent.")
class InventoryReconciliation:
    checked_levels: int
    drifts: list[InventoryDrift]

    @classmethod
    def of(cls, report: Reconciliation) -> "InventoryReconciliation":
        return cls(
            checked_levels=report.checked_levels,
            drifts=[InventoryDrift.of(drift) for drift in report.drifts],
        )
