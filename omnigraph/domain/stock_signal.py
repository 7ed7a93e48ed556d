"""Stock messaging a storefront can render: the message, and the numbers behind it."""

from __future__ import annotations

from dataclasses import dataclass

from omnigraph.domain.promise import StockMessage, StockThresholds, stock_message


def check_thresholds(only_few_left: int, low_stock: int) -> str | None:
    """Why a pair of thresholds is unusable, or ``None``; ONLY_FEW_LEFT must sit under LOW_STOCK."""
    if only_few_left < 0 or low_stock < 0:
        return "stock thresholds must not be negative"
    if only_few_left > low_stock:
        return "the 'only a few left' threshold must not exceed the 'low stock' one"
    return None


@dataclass(frozen=True, slots=True)
class StockSignal:
    """``threshold`` is the limit the message was decided against (``None`` for in or out
    of stock); ``quantity_shown`` is the count a storefront may print ("only 2 left"), given
    only for ONLY_FEW_LEFT so exact stock is not advertised otherwise."""

    message: StockMessage
    available: int
    threshold: int | None
    quantity_shown: int | None


def stock_signal(available: int, thresholds: StockThresholds) -> StockSignal:
    message = stock_message(available, thresholds)
    shown = max(0, available)
    if message is StockMessage.ONLY_FEW_LEFT:
        return StockSignal(message, shown, thresholds.only_few_left, shown)
    if message is StockMessage.LOW_STOCK:
        return StockSignal(message, shown, thresholds.low_stock, None)
    return StockSignal(message, shown, None, None)
