"""Stock messaging as structured fields a storefront renders without re-deriving them."""

import strawberry

from omnigraph.api.types.common import StockMessage
from omnigraph.domain.stock_signal import StockSignal


@strawberry.type(
    description="What a storefront may say about stock, with the numbers behind the message."
)
class StockStatus:
    message: StockMessage  # type: ignore[valid-type]
    available: int = strawberry.field(description="Sellable units, never below zero.")
    threshold: int | None = strawberry.field(
        description="The configured limit the message was decided against; null when in or"
        " out of stock."
    )
    quantity_shown: int | None = strawberry.field(
        description='The number to print ("only 2 left"); given only for ONLY_FEW_LEFT.'
    )

    @classmethod
    def of(cls, signal: StockSignal) -> "StockStatus":
        return cls(
            message=StockMessage(signal.message),
            available=signal.available,
            threshold=signal.threshold,
            quantity_shown=signal.quantity_shown,
        )
